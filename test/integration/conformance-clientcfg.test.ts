/**
 * The CLI's config.json, shared with the docker CLI: logins in `auths` (base64 user:pass)
 * that docker reads and writes too, `credsStore` / `credHelpers` through a fake
 * `docker-credential-test` helper this test writes on PATH (docker's helper protocol), the old
 * `~/.wharf/config.json` migrated, `--config` / `DOCKER_CONFIG`, and `psFormat`,
 * `imagesFormat`, `proxies` (build args and run env) read from the file.
 * Against a real wharfd and our registry server (basic auth) on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDaemon, type CliResult, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox, PASS, startOurRegistry, USER, type TestRegistry } from './distribution-harness.ts';

/** A credential helper (docker's protocol) keeping its secrets in `store.json` beside it, logging each call. */
function writeHelper(dir: string, name = 'test'): { log: () => string[]; store: () => Record<string, { Username: string; Secret: string }> } {
  const storeFile = path.join(dir, 'store.json');
  const logFile = path.join(dir, 'calls.log');
  const script = `#!${process.execPath}
const fs = require('fs');
const storeFile = ${JSON.stringify(storeFile)}, logFile = ${JSON.stringify(logFile)};
const action = process.argv[2];
const input = fs.readFileSync(0, 'utf8');
let store = {};
try { store = JSON.parse(fs.readFileSync(storeFile, 'utf8')); } catch {}
const save = () => fs.writeFileSync(storeFile, JSON.stringify(store));
if (action === 'store') {
  const c = JSON.parse(input);
  fs.appendFileSync(logFile, 'store ' + c.ServerURL + '\\n');
  store[c.ServerURL] = { Username: c.Username, Secret: c.Secret };
  save();
} else if (action === 'get') {
  fs.appendFileSync(logFile, 'get ' + input + '\\n');
  const c = store[input];
  if (!c) { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); }
  process.stdout.write(JSON.stringify({ ServerURL: input, Username: c.Username, Secret: c.Secret }));
} else if (action === 'erase') {
  fs.appendFileSync(logFile, 'erase ' + input + '\\n');
  if (!store[input]) { process.stdout.write('credentials not found in native keychain\\n'); process.exit(1); }
  delete store[input];
  save();
} else if (action === 'list') {
  fs.appendFileSync(logFile, 'list\\n');
  process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(store).map(([k, v]) => [k, v.Username]))));
} else {
  process.stdout.write('unknown action: ' + action + '\\n');
  process.exit(1);
}
`;
  fs.writeFileSync(path.join(dir, `docker-credential-${name}`), script, { mode: 0o755 });
  return {
    log: () => { try { return fs.readFileSync(logFile, 'utf8').split('\n').filter(Boolean); } catch { return []; } },
    store: () => { try { return JSON.parse(fs.readFileSync(storeFile, 'utf8')); } catch { return {}; } },
  };
}

describe('client config.json (shared with the docker CLI)', () => {
  let d: TestDaemon;
  let reg: TestRegistry;
  let REG: string;
  let tmp: string;
  let binDir: string;
  let helper: ReturnType<typeof writeHelper>;

  before(async () => {
    reg = await startOurRegistry({ publicSearch: true });
    REG = reg.host;
    d = await startDaemon();
    await importBusybox(d, 'cfgbb:latest');
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-clientcfg-'));
    binDir = path.join(tmp, 'bin');
    fs.mkdirSync(binDir);
    helper = writeHelper(binDir);
    // push an image for the pulls below (credentials given inline, no config involved)
    const pushDir = path.join(tmp, 'push');
    assert.equal((await d.cli(['tag', 'cfgbb:latest', `${REG}/cfg/bb:v1`])).code, 0);
    const login = await d.cli(['login', '-u', USER, '--password-stdin', REG], { input: `${PASS}\n`, env: { DOCKER_CONFIG: pushDir } });
    assert.equal(login.code, 0, login.stderr);
    const push = await d.cli(['push', `${REG}/cfg/bb:v1`], { env: { DOCKER_CONFIG: pushDir }, timeoutMs: 120_000 });
    assert.equal(push.code, 0, push.stdout + push.stderr);
  });
  after(async () => {
    await d?.stop();
    await reg?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const envFor = (dir: string, extra: Record<string, string> = {}) => ({ DOCKER_CONFIG: dir, WHARF_CONFIG: '', PATH: `${binDir}:${process.env.PATH}`, ...extra });
  const wharf = (dir: string, args: string[], input?: string, extra?: Record<string, string>) => d.cli(args, { input, env: envFor(dir, extra), timeoutMs: 120_000 });
  const docker = (dir: string, args: string[], input?: string) => d.docker(args, { input, env: envFor(dir), timeoutMs: 120_000 });
  const cfgOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
  const newDir = (name: string, cfg?: unknown) => {
    const dir = path.join(tmp, name);
    fs.mkdirSync(dir, { recursive: true });
    if (cfg !== undefined) fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
    return dir;
  };
  const rmiPulled = async () => { await d.cli(['rmi', `${REG}/cfg/bb:v1`]); };
  const ok = (r: CliResult) => assert.equal(r.code, 0, r.stdout + r.stderr);

  it('a pull without credentials is refused (the registry needs them)', async () => {
    await rmiPulled();
    const r = await wharf(newDir('none'), ['pull', `${REG}/cfg/bb:v1`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unauthorized|authentication required|no basic auth/i);
  });

  it('wharf login writes docker\'s format (base64 user:pass in auths, the file\'s mode kept), docker pull uses it', async () => {
    const dir = newDir('file', { auths: { 'other.example': { auth: Buffer.from('x:y').toString('base64') } }, someDockerKey: { kept: true } });
    fs.chmodSync(path.join(dir, 'config.json'), 0o640);
    const login = await wharf(dir, ['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`);
    ok(login);
    assert.match(login.stdout, /Login Succeeded/);
    assert.match(login.stderr, /WARNING! Your password will be stored unencrypted in .*config\.json/);
    const cfg = cfgOf(dir);
    assert.equal(cfg.auths[REG].auth, Buffer.from(`${USER}:${PASS}`).toString('base64'));
    assert.deepEqual(cfg.someDockerKey, { kept: true }, 'keys wharf does not know are kept');
    assert.ok(cfg.auths['other.example'], 'other logins are kept');
    assert.equal(fs.statSync(path.join(dir, 'config.json')).mode & 0o777, 0o640, 'docker keeps an existing file\'s mode');
    await rmiPulled();
    ok(await docker(dir, ['pull', `${REG}/cfg/bb:v1`]));
    await rmiPulled();
    ok(await wharf(dir, ['pull', `${REG}/cfg/bb:v1`]));
  });

  it('docker login → wharf pull; wharf logout → docker pull is refused', async () => {
    // a config with a login already in it, so the docker CLI keeps using the file (with an
    // empty one it may pick a platform default credential store)
    const dir = newDir('fromdocker', { auths: { 'other.example': { auth: Buffer.from('x:y').toString('base64') } } });
    ok(await docker(dir, ['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`));
    await rmiPulled();
    ok(await wharf(dir, ['pull', `${REG}/cfg/bb:v1`]));
    const out = await wharf(dir, ['logout', REG]);
    ok(out);
    assert.match(out.stdout, new RegExp(`Removing login credentials for ${REG}`));
    assert.equal(cfgOf(dir).auths[REG], undefined);
    await rmiPulled();
    assert.notEqual((await docker(dir, ['pull', `${REG}/cfg/bb:v1`])).code, 0);
    const before = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    const again = await wharf(dir, ['logout', REG]);
    ok(again);
    assert.match(again.stdout, new RegExp(`Removing login credentials for ${REG}`), 'docker 28 says so whether or not there was a login');
    assert.equal(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), before, 'nothing to remove: the file is left alone');
  });

  it('credsStore: login stores through docker-credential-test, pull gets from it, logout erases', async () => {
    const dir = newDir('store', { credsStore: 'test' });
    const login = await wharf(dir, ['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`);
    ok(login);
    assert.doesNotMatch(login.stderr, /unencrypted/);
    assert.ok(helper.log().includes(`store ${REG}`), helper.log().join('\n'));
    assert.deepEqual(helper.store()[REG], { Username: USER, Secret: PASS });
    const text = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
    assert.doesNotMatch(text, new RegExp(PASS));
    assert.deepEqual(cfgOf(dir).auths[REG], {}, 'docker keeps an empty entry per registry');
    assert.equal(cfgOf(dir).credsStore, 'test');
    await rmiPulled();
    const n = helper.log().length;
    ok(await wharf(dir, ['pull', `${REG}/cfg/bb:v1`]));
    assert.ok(helper.log().slice(n).includes(`get ${REG}`), helper.log().join('\n'));
    // the docker CLI reads the same helper
    await rmiPulled();
    ok(await docker(dir, ['pull', `${REG}/cfg/bb:v1`]));
    const out = await wharf(dir, ['logout', REG]);
    ok(out);
    assert.ok(helper.log().includes(`erase ${REG}`), helper.log().join('\n'));
    assert.equal(helper.store()[REG], undefined);
    assert.equal(cfgOf(dir).auths[REG], undefined);
    await rmiPulled();
    assert.notEqual((await wharf(dir, ['pull', `${REG}/cfg/bb:v1`])).code, 0);
  });

  it('credsStore: build sends the helper\'s logins (X-Registry-Config) for a private FROM', async () => {
    const dir = newDir('store-build', { credsStore: 'test' });
    ok(await wharf(dir, ['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`));
    await rmiPulled();
    const ctxDir = newDir('store-build-ctx');
    fs.writeFileSync(path.join(ctxDir, 'Dockerfile'), `FROM ${REG}/cfg/bb:v1\nRUN true\n`);
    const n = helper.log().length;
    const b = await wharf(dir, ['build', '-q', ctxDir]);
    ok(b);
    assert.deepEqual(helper.log().slice(n), ['list', `get ${REG}`]);
    ok(await wharf(dir, ['logout', REG]));
  });

  it('credHelpers: only the named registry uses the helper; docker login through it → wharf pull', async () => {
    const dir = newDir('helpers', { credHelpers: { [REG]: 'test' }, auths: { 'other.example': { auth: Buffer.from('x:y').toString('base64') } } });
    ok(await docker(dir, ['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`));
    assert.deepEqual(helper.store()[REG], { Username: USER, Secret: PASS });
    await rmiPulled();
    const n = helper.log().length;
    ok(await wharf(dir, ['pull', `${REG}/cfg/bb:v1`]));
    assert.ok(helper.log().slice(n).includes(`get ${REG}`));
    assert.ok(!helper.log().slice(n).some((l) => l.includes('other.example')), 'other registries stay in the file');
    ok(await wharf(dir, ['logout', REG]));
    assert.equal(helper.store()[REG], undefined);
  });

  it('a helper that is missing: login fails with docker\'s message, the file is unchanged', async () => {
    const dir = newDir('missing', { credsStore: 'nosuchhelper' });
    const r = await wharf(dir, ['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Error saving credentials: error storing credentials - err: exec: "docker-credential-nosuchhelper": executable file not found in \$PATH/);
    assert.deepEqual(cfgOf(dir), { credsStore: 'nosuchhelper' });
  });

  it('a config.json that is not JSON: a warning for reads, and login refuses to overwrite it', async () => {
    const dir = newDir('broken');
    fs.writeFileSync(path.join(dir, 'config.json'), '{"auths": ');
    const ps = await wharf(dir, ['ps']);
    ok(ps);
    assert.match(ps.stderr, /WARNING: Error loading config file: .*config\.json/);
    const r = await wharf(dir, ['login', '-u', USER, '--password-stdin', REG], `${PASS}\n`);
    assert.equal(r.code, 1);
    assert.equal(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'), '{"auths": ');
  });

  it('--config DIR and DOCKER_CONFIG move the file; the default is ~/.docker', async () => {
    const home = newDir('home1');
    const flagDir = newDir('flagdir');
    ok(await d.cli(['--config', flagDir, 'login', '-u', USER, '--password-stdin', REG], { input: `${PASS}\n`, env: { HOME: home, DOCKER_CONFIG: '', WHARF_CONFIG: '' } }));
    assert.ok(cfgOf(flagDir).auths[REG]);
    assert.equal(fs.statSync(path.join(flagDir, 'config.json')).mode & 0o777, 0o600, 'a new file is 0600');
    ok(await d.cli(['login', '-u', USER, '--password-stdin', REG], { input: `${PASS}\n`, env: { HOME: home, DOCKER_CONFIG: '', WHARF_CONFIG: '' } }));
    assert.ok(cfgOf(path.join(home, '.docker')).auths[REG]);
  });

  it('an old ~/.wharf/config.json is migrated to ~/.docker (and still read when both exist)', async () => {
    const home = newDir('home2');
    const entry = { auth: Buffer.from(`${USER}:${PASS}`).toString('base64') };
    fs.mkdirSync(path.join(home, '.wharf'));
    fs.writeFileSync(path.join(home, '.wharf', 'config.json'), JSON.stringify({ auths: { [REG]: entry } }));
    const env = { HOME: home, DOCKER_CONFIG: '', WHARF_CONFIG: '' };
    await rmiPulled();
    ok(await d.cli(['pull', `${REG}/cfg/bb:v1`], { env, timeoutMs: 120_000 }));
    assert.deepEqual(cfgOf(path.join(home, '.docker')).auths[REG], entry);
    assert.ok(fs.existsSync(path.join(home, '.wharf', 'config.json')), 'the old file stays');
    // both exist, the login only in the old one: still used; logout removes it from both
    const home3 = newDir('home3', undefined);
    fs.mkdirSync(path.join(home3, '.wharf'));
    fs.mkdirSync(path.join(home3, '.docker'));
    fs.writeFileSync(path.join(home3, '.wharf', 'config.json'), JSON.stringify({ auths: { [REG]: entry } }));
    fs.writeFileSync(path.join(home3, '.docker', 'config.json'), JSON.stringify({ auths: {} }));
    const env3 = { HOME: home3, DOCKER_CONFIG: '', WHARF_CONFIG: '' };
    await rmiPulled();
    ok(await d.cli(['pull', `${REG}/cfg/bb:v1`], { env: env3, timeoutMs: 120_000 }));
    ok(await d.cli(['logout', REG], { env: env3 }));
    assert.equal(cfgOf(path.join(home3, '.wharf')).auths[REG], undefined);
    await rmiPulled();
    assert.notEqual((await d.cli(['pull', `${REG}/cfg/bb:v1`], { env: env3, timeoutMs: 120_000 })).code, 0);
  });

  it('psFormat and imagesFormat are the default --format (a flag and -q win)', async () => {
    const dir = newDir('formats', { psFormat: 'table {{.Names}}\t{{.Image}}', imagesFormat: 'table {{.Repository}}:{{.Tag}}' });
    ok(await d.cli(['create', '--name', 'cfgfmt', 'cfgbb:latest', 'true']));
    const ps = await wharf(dir, ['ps', '-a']);
    ok(ps);
    assert.match(ps.stdout, /^NAMES\s+IMAGE\n/);
    assert.match(ps.stdout, /^cfgfmt\s+cfgbb:latest$/m);
    const flag = await wharf(dir, ['ps', '-a', '--format', '{{.Names}}']);
    assert.match(flag.stdout, /^cfgfmt$/m);
    assert.doesNotMatch(flag.stdout, /NAMES/);
    const q = await wharf(dir, ['ps', '-aq']);
    assert.match(q.stdout, /^[0-9a-f]{12}$/m);
    const images = await wharf(dir, ['images']);
    ok(images);
    assert.match(images.stdout, /^REPOSITORY:TAG\n/);
    assert.match(images.stdout, /^cfgbb:latest$/m);
    await d.cli(['rm', 'cfgfmt']);
  });

  it('detachKeys is the default --detach-keys (exec -i, run -i); the flag wins', async () => {
    const dir = newDir('detach', { detachKeys: 'ctrl-x,x' });
    ok(await d.cli(['run', '-d', '--name', 'cfgdetach', 'cfgbb:latest', 'sleep', '120']));
    const script = ['sh', '-c', 'cat >/dev/null; echo done'];
    const input = 'abc\x18x';
    const plain = await wharf(newDir('nodetach'), ['exec', '-i', 'cfgdetach', ...script], input);
    ok(plain);
    assert.match(plain.stdout, /done/, 'ctrl-x,x is plain input by default');
    const det = await wharf(dir, ['exec', '-i', 'cfgdetach', ...script], input);
    ok(det);
    assert.doesNotMatch(det.stdout, /done/, 'detached before cat saw the end of its input');
    const flag = await wharf(dir, ['exec', '-i', '--detach-keys', 'ctrl-y', 'cfgdetach', ...script], input);
    ok(flag);
    assert.match(flag.stdout, /done/);
    const run = await wharf(dir, ['run', '-i', '--name', 'cfgdetach2', 'cfgbb:latest', ...script], input);
    ok(run);
    assert.doesNotMatch(run.stdout, /done/);
    await d.cli(['rm', '-f', 'cfgdetach', 'cfgdetach2']);
  });

  it('proxies: build args and run/create env from proxies.default, the command line wins', async () => {
    const dir = newDir('proxies', { proxies: { default: { httpProxy: 'http://px.example:3128', noProxy: '.internal' }, 'tcp://elsewhere:2376': { httpProxy: 'http://other:1' } } });
    const run = await wharf(dir, ['run', '--rm', 'cfgbb:latest', 'sh', '-c', 'echo "$HTTP_PROXY|$http_proxy|$NO_PROXY|$no_proxy|${HTTPS_PROXY-unset}"']);
    ok(run);
    assert.equal(run.stdout.trim(), 'http://px.example:3128|http://px.example:3128|.internal|.internal|unset');
    const given = await wharf(dir, ['run', '--rm', '-e', 'HTTP_PROXY=mine', 'cfgbb:latest', 'sh', '-c', 'echo "$HTTP_PROXY|$http_proxy"']);
    assert.equal(given.stdout.trim(), 'mine|http://px.example:3128');
    const ctxDir = newDir('proxies-ctx');
    fs.writeFileSync(path.join(ctxDir, 'Dockerfile'), 'FROM cfgbb:latest\nRUN echo "$HTTP_PROXY|$http_proxy|$NO_PROXY" > /proxy.txt\n');
    const build = await wharf(dir, ['build', '-q', '-t', 'cfgproxy:1', ctxDir]);
    ok(build);
    const cat = await wharf(newDir('none2'), ['run', '--rm', 'cfgproxy:1', 'cat', '/proxy.txt']);
    assert.equal(cat.stdout.trim(), 'http://px.example:3128|http://px.example:3128|.internal');
    // proxy build args are not recorded in the image (docker's predefined args)
    const hist = await wharf(dir, ['history', '--no-trunc', 'cfgproxy:1']);
    assert.doesNotMatch(hist.stdout, /px\.example/);
    // (docker leaves the proxy args out of the cache key too, hence --no-cache)
    const argBuild = await wharf(dir, ['build', '-q', '--no-cache', '-t', 'cfgproxy:2', '--build-arg', 'HTTP_PROXY=cli', ctxDir]);
    ok(argBuild);
    const cat2 = await wharf(newDir('none3'), ['run', '--rm', 'cfgproxy:2', 'cat', '/proxy.txt']);
    assert.equal(cat2.stdout.trim(), 'cli|http://px.example:3128|.internal');
  });
});
