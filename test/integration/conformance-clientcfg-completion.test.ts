/**
 * Shell completion generated from the command table: the bash script run in bash (source it,
 * `complete -p`, set COMP_WORDS/COMP_CWORD, call the function, read COMPREPLY) against a real
 * daemon for container, image, network and volume names; the zsh and fish scripts parsed by
 * their shells where installed; the man pages the build writes.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

describe('shell completion and man pages', () => {
  let d: TestDaemon;
  let dir: string;
  let script: string;
  let binDir: string;

  before(async () => {
    d = await startDaemon();
    await importBusybox(d, 'cmplbb:latest');
    assert.equal((await d.cli(['create', '--name', 'cmpl-ctr', 'cmplbb:latest', 'true'])).code, 0);
    assert.equal((await d.cli(['volume', 'create', 'cmpl-vol'])).code, 0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-completion-'));
    binDir = path.join(REPO, 'bin');
    const r = await d.cli(['completion', 'bash']);
    assert.equal(r.code, 0, r.stderr);
    script = path.join(dir, 'wharf.bash');
    fs.writeFileSync(script, r.stdout);
  });
  after(async () => {
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** COMPREPLY for the command line `words` with the cursor on the last word. */
  function complete(words: string[], env: Record<string, string> = { WHARF_HOST: d.host }): string[] {
    const arr = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
    const prog = `source ${script}\nCOMP_WORDS=(${arr}); COMP_CWORD=${words.length - 1}; COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}\n_wharf\nprintf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', prog], { encoding: 'utf8', env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, DOCKER_HOST: '', ...env }, timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  }

  it('the script registers _wharf for wharf', () => {
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source ${script} && complete -p wharf`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'complete -F _wharf wharf');
  });

  it('commands, management verbs and flags come from the command table', () => {
    const r = complete(['wharf', 're']);
    for (const c of ['rename', 'restart', 'registry']) assert.ok(r.includes(c), r.join(' '));
    assert.ok(!complete(['wharf', '__']).length, 'hidden helpers are not offered');
    assert.deepEqual(complete(['wharf', 'network', 'c']).sort(), ['connect', 'create']);
    assert.deepEqual(complete(['wharf', 'container', 'sta']).sort(), ['start', 'stats']);
    assert.ok(complete(['wharf', 'ps', '--fo']).includes('--format'));
    assert.ok(complete(['wharf', 'run', '--rm', '--det']).includes('--detach-keys'));
    assert.ok(complete(['wharf', '--']).includes('--config'));
    assert.deepEqual(complete(['wharf', 'completion', '--h']), ['--help']);
  });

  it('operands complete with names from the daemon, by kind and position', () => {
    assert.deepEqual(complete(['wharf', 'rm', 'cmpl']), ['cmpl-ctr']);
    assert.deepEqual(complete(['wharf', 'rm', 'cmpl-ctr', 'cmpl']), ['cmpl-ctr'], 'variadic');
    assert.deepEqual(complete(['wharf', 'rmi', 'cmpl']), ['cmplbb:latest']);
    assert.deepEqual(complete(['wharf', 'run', '--name', 'x', 'cmpl']), ['cmplbb:latest'], 'a flag value is not an operand');
    assert.deepEqual(complete(['wharf', 'run', 'cmplbb:latest', 'cmpl']), [], 'the container command is not completed');
    // (test daemons run without a bridge: the networks are the predefined ones)
    assert.deepEqual(complete(['wharf', 'network', 'rm', 'no']), ['none']);
    assert.deepEqual(complete(['wharf', 'network', 'connect', 'none', 'cmpl']), ['cmpl-ctr']);
    assert.deepEqual(complete(['wharf', 'volume', 'rm', 'cmpl']), ['cmpl-vol']);
    assert.deepEqual(complete(['wharf', 'container', 'stop', 'cmpl']), ['cmpl-ctr']);
    assert.deepEqual(complete(['wharf', 'image', 'rm', 'cmpl']), ['cmplbb:latest']);
    assert.deepEqual(complete(['wharf', 'run', '--network', 'ho']), ['host'], 'a flag whose value names a network');
    assert.deepEqual(complete(['wharf', 'inspect', 'cmpl']).sort(), ['cmpl-ctr', 'cmpl-vol', 'cmplbb:latest']);
    assert.deepEqual(complete(['wharf', 'pull', 'cmpl']), [], 'pull names a remote image');
  });

  it('the helper asks the daemon named by -H typed before the command', () => {
    const wrong = { WHARF_HOST: `unix://${path.join(dir, 'nothing.sock')}` };
    assert.deepEqual(complete(['wharf', 'rm', 'cmpl'], wrong), []);
    assert.deepEqual(complete(['wharf', '-H', d.host, 'rm', 'cmpl'], wrong), ['cmpl-ctr']);
    assert.deepEqual(complete(['wharf', `--host=${d.host}`, 'volume', 'rm', 'cmpl'], wrong), ['cmpl-vol']);
  });

  it('__complete-names lists each kind; an unknown shell is refused', async () => {
    assert.match((await d.cli(['__complete-names', 'containers'])).stdout, /^cmpl-ctr$/m);
    assert.match((await d.cli(['__complete-names', 'networks'])).stdout, /^none$/m);
    assert.match((await d.cli(['__complete-names', 'volumes'])).stdout, /^cmpl-vol$/m);
    assert.match((await d.cli(['__complete-names', 'images'])).stdout, /^cmplbb:latest$/m);
    const bad = await d.cli(['completion', 'tcsh']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /unsupported shell "tcsh"/);
    const help = await d.cli(['--help']);
    assert.match(help.stdout, /completion/);
    assert.doesNotMatch(help.stdout, /__complete-names|__man/);
  });

  it('zsh and fish scripts parse (where the shells are installed)', async (t) => {
    for (const [shell, check] of [['zsh', ['-n']], ['fish', ['--no-execute']]] as const) {
      if (!has(shell)) { t.diagnostic(`${shell} not installed`); continue; }
      const r = await d.cli(['completion', shell]);
      assert.equal(r.code, 0, r.stderr);
      const f = path.join(dir, `wharf.${shell}`);
      fs.writeFileSync(f, r.stdout);
      const p = spawnSync(shell, [...check, f], { encoding: 'utf8' });
      assert.equal(p.status, 0, `${shell}: ${p.stderr}`);
    }
  });

  it('fish completes names through the helper', (t) => {
    if (!has('fish')) { t.skip('fish not installed'); return; }
    const f = path.join(dir, 'wharf.fish');
    fs.writeFileSync(f, spawnSync(path.join(binDir, 'wharf'), ['completion', 'fish'], { encoding: 'utf8', env: { ...process.env, WHARF_HOST: d.host } }).stdout);
    const run = (line: string) => spawnSync('fish', ['--no-config', '-c', `source ${f}; complete -C '${line}'`], { encoding: 'utf8', env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, WHARF_HOST: d.host } }).stdout;
    assert.match(run('wharf rm cmpl'), /^cmpl-ctr/m);
    assert.match(run('wharf volume rm cmpl'), /^cmpl-vol/m);
    assert.match(run('wharf net'), /^network\tManage networks/m);
    assert.match(run('wharf ps --fo'), /^--format/m);
  });

  it('zsh completes names through the helper', (t) => {
    if (!has('zsh')) { t.skip('zsh not installed'); return; }
    const f = path.join(dir, 'wharf.zsh');
    fs.writeFileSync(f, spawnSync(path.join(binDir, 'wharf'), ['completion', 'zsh'], { encoding: 'utf8', env: { ...process.env, WHARF_HOST: d.host } }).stdout);
    // compadd only works inside the completion system: stand it in to collect the candidates
    const prog = `compadd() { local a; for a in "$@"; do [[ $a == -a ]] && { shift; eval 'print -l -- "\${'$1'[@]}"'; return; }; done; while [[ $1 == -* && $1 != -- ]]; do shift; done; [[ $1 == -- ]] && shift; print -l -- "$@"; }
_describe() { print -l -- "\${(@P)3}"; }
_files() { print FILES; }
compdef() { :; }
source ${f}
words=(wharf rm cmpl); CURRENT=3; _wharf
words=(wharf volume rm cmpl); CURRENT=4; _wharf`;
    const r = spawnSync('zsh', ['-f', '-c', prog], { encoding: 'utf8', env: { ...process.env, PATH: `${binDir}:${process.env.PATH}`, WHARF_HOST: d.host } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^cmpl-ctr$/m);
    assert.match(r.stdout, /^cmpl-vol$/m);
  });

  it('the build writes man pages from the same table', () => {
    const man = path.join(REPO, 'dist', 'man');
    for (const p of ['wharf.1', 'wharf-run.1', 'wharf-network-create.1', 'wharf-container-ls.1', 'wharf-completion.1']) assert.ok(fs.existsSync(path.join(man, p)), p);
    const run = fs.readFileSync(path.join(man, 'wharf-run.1'), 'utf8');
    assert.match(run, /^\.TH "WHARF-RUN" "1"/);
    assert.match(run, /\\fB\\-d\\fR, \\fB\\-\\-detach\\fR/);
    if (has('man')) {
      const r = spawnSync('man', ['-l', path.join(man, 'wharf-run.1')], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MANPAGER: 'cat', PAGER: 'cat' } });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /--detach-keys string/);
    }
  });
});
