/**
 * Log files as a log shipper reads them (Fluent Bit's `docker` parser, Filebeat's `container`
 * input, Promtail's `docker` stage): docker's json-file lines at the LogPath that inspect shows,
 * every line parsed with JSON.parse, across max-size rotations and a daemon that was down while
 * the container kept printing. Then the other drivers: none, local, journald, k8s-file, and the
 * daemon's log-driver / log-opts defaults.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { startDaemon, type TestDaemon } from '../helpers/daemon.ts';
import { importBusybox } from '../helpers/images.ts';

let d: TestDaemon;
before(async () => { d = await startDaemon(); await importBusybox(d); });
after(async () => { await d?.stop(); });

/** RFC3339Nano in UTC, as Go writes it (no trailing zeros in the fraction). */
const RFC3339NANO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{0,8}[1-9])?Z$/;

/** Nanoseconds since the epoch of such a time (string order is not time order: "…1.86Z" > "…1.864Z"). */
function ns(t: string): bigint {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(t)!;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}
const inTimeOrder = (times: string[]) => times.every((t, i) => i === 0 || ns(times[i - 1]!) <= ns(t));

interface Entry { log: string; stream: string; time: string }

/** What a shipper does: every line of the file is one JSON object with log, stream, time, in that order. */
function readJsonLines(file: string): Entry[] {
  const text = fs.readFileSync(file, 'utf8');
  if (text === '') return [];
  assert.ok(text.endsWith('\n'), `${file} ends with a whole line`);
  return text.slice(0, -1).split('\n').map((line) => {
    const o = JSON.parse(line) as Entry;
    assert.deepEqual(Object.keys(o), ['log', 'stream', 'time'], line);
    assert.ok(o.stream === 'stdout' || o.stream === 'stderr', line);
    assert.match(o.time, RFC3339NANO_UTC, line);
    return o;
  });
}

/** The container's files oldest first, as docker names them: LogPath.N … LogPath.1, LogPath. */
function logFiles(logPath: string): string[] {
  const rotated: string[] = [];
  for (let n = 1; fs.existsSync(`${logPath}.${n}`); n++) rotated.unshift(`${logPath}.${n}`);
  return [...rotated, logPath];
}

async function inspect(name: string): Promise<any> {
  const r = await d.api('GET', `/containers/${name}/json`);
  assert.equal(r.status, 200, r.body);
  return r.json;
}

async function waitFor(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('json-file: docker\'s lines at LogPath, stdout and stderr in order, partial last line, times in order', async () => {
  const r = await d.cli(['run', '--name', 'jf', 'bb', 'sh', '-c', String.raw`echo one; echo two >&2; printf 'q"uo<t>e&\\ tab\there\n'; echo; printf "no newline"`]);
  assert.equal(r.code, 0, r.stderr);
  const c = await inspect('jf');
  assert.equal(c.HostConfig.LogConfig.Type, 'json-file');
  assert.equal(c.LogPath, path.join(d.dataRoot, 'containers', c.Id, `${c.Id}-json.log`));
  const raw = fs.readFileSync(c.LogPath, 'utf8');
  // Go's encoding, byte for byte: HTML characters escaped as \u00XX.
  assert.ok(raw.includes(String.raw`{"log":"q\"uo\u003ct\u003ee\u0026\\ tab\there\n","stream":"stdout","time":"`), raw);
  const entries = readJsonLines(c.LogPath);
  // Each stream in the order written (conmon reads stdout and stderr apart: no order between them).
  assert.deepEqual(entries.filter((e) => e.stream === 'stdout').map((e) => e.log), ['one\n', 'q"uo<t>e&\\ tab\there\n', '\n', 'no newline']);
  assert.deepEqual(entries.filter((e) => e.stream === 'stderr').map((e) => e.log), ['two\n']);
  const times = entries.filter((e) => e.stream === 'stdout').map((e) => e.time);
  assert.ok(inTimeOrder(times), `times in order: ${times}`);
  const started = Date.parse(c.State.StartedAt);
  assert.ok(Math.abs(Date.parse(times[0]!) - started) < 60_000, `${times[0]} near ${c.State.StartedAt}`);
  // docker logs reads the same file back.
  const logs = await d.cli(['logs', 'jf']);
  assert.equal(logs.stdout, 'one\nq"uo<t>e&\\ tab\there\n\nno newline');
  assert.equal(logs.stderr, 'two\n');
  const last = entries.at(-1)!;
  const ts = await d.cli(['logs', '-t', '--tail', '1', 'jf']);
  assert.equal(last.stream === 'stdout' ? ts.stdout : ts.stderr, `${last.time} ${last.log}`);
  await d.cli(['rm', 'jf']);
});

test('json-file through rotations and a daemon restart: lines printed while the daemon was down are in the file', async () => {
  const run = await d.cli(['run', '-d', '--name', 'keeps', '--log-opt', 'max-size=3k', '--log-opt', 'max-file=3', 'bb', 'sh', '-c',
    'i=0; while [ $i -lt 600 ]; do i=$((i+1)); echo "n-$i-padding-0123456789"; [ $((i % 50)) -eq 0 ] && echo "e-$i" >&2; usleep 10000; done']);
  assert.equal(run.code, 0, run.stderr);
  const c = await inspect('keeps');
  const logPath = c.LogPath as string;
  await waitFor('a rotation', () => fs.existsSync(`${logPath}.1`));
  // The daemon goes (kill -9: nothing of it is left to write the log) while the container prints on.
  await d.kill9();
  const last = () => {
    const e = logFiles(logPath).flatMap(readJsonLines).filter((x) => x.stream === 'stdout');
    return Number(/^n-(\d+)-/.exec(e.at(-1)?.log ?? '')?.[1] ?? 0);
  };
  const atStop = last();
  await new Promise((r) => setTimeout(r, 1500));
  const whileDown = last();
  assert.ok(whileDown > atStop + 20, `the file grew while the daemon was down (${atStop} → ${whileDown})`);
  assert.ok(fs.existsSync(`${logPath}.2`) || whileDown < 300, 'rotated while down too');
  await d.restart();
  await waitFor('the container to exit', async () => (await inspect('keeps')).State.Running === false, 60_000);
  // What a shipper reads: the files oldest first, every line JSON, numbers consecutive to the end.
  const files = logFiles(logPath);
  assert.ok(files.length === 3, `files: ${files}`);
  assert.ok(!fs.existsSync(`${logPath}.3`), 'max-file=3 keeps 3 files');
  for (const f of files.slice(0, -1)) assert.ok(fs.statSync(f).size < 3 * 1024 + 200, `${f}: ${fs.statSync(f).size} bytes`);
  const entries = files.flatMap(readJsonLines);
  const out = entries.filter((e) => e.stream === 'stdout').map((e) => Number(/^n-(\d+)-padding-0123456789\n$/.exec(e.log)?.[1]));
  assert.equal(out.at(-1), 600);
  assert.deepEqual(out, Array.from({ length: out.length }, (_, i) => 600 - out.length + 1 + i), 'no line lost or repeated');
  const errs = entries.filter((e) => e.stream === 'stderr').map((e) => e.log);
  assert.ok(errs.length > 0 && errs.every((l) => /^e-\d+\n$/.test(l)), `stderr lines: ${errs}`);
  const times = entries.filter((e) => e.stream === 'stdout').map((e) => e.time);
  assert.ok(inTimeOrder(times), 'times in order across files');
  // docker logs shows the same lines, across the rotated files.
  const logs = await d.cli(['logs', 'keeps']);
  assert.equal(logs.stdout, entries.filter((e) => e.stream === 'stdout').map((e) => e.log).join(''));
  const tail = await d.cli(['logs', '--tail', '2', 'keeps']);
  assert.equal(tail.stdout, 'n-600-padding-0123456789\n');
  assert.equal(tail.stderr, 'e-600\n');
  await d.cli(['rm', 'keeps']);
});

test('a log monitor that is killed is started again and loses no line', async () => {
  const run = await d.cli(['run', '-d', '--name', 'survivor', 'bb', 'sh', '-c', 'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo "s-$i"; usleep 10000; done']);
  assert.equal(run.code, 0, run.stderr);
  const c = await inspect('survivor');
  const logPath = c.LogPath as string;
  await waitFor('the first lines', () => fs.existsSync(logPath) && readJsonLines(logPath).length > 10);
  // The FIFO conmon holds is no fd of the container's.
  const fds = fs.readdirSync(`/proc/${c.State.Pid}/fd`).map((f) => { try { return fs.readlinkSync(`/proc/${c.State.Pid}/fd/${f}`); } catch { return ''; } });
  assert.ok(!fds.some((l) => l.includes('logmon')), `container fds: ${fds}`);
  const monitors = fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
    try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(path.join(d.execRoot, 'runtime', 'logmon')); } catch { return false; }
  });
  assert.equal(monitors.length, 1, 'one monitor for the exec root');
  process.kill(Number(monitors[0]), 'SIGKILL');
  const atKill = readJsonLines(logPath).length;
  // Not a request of ours: the daemon notices the monitor's death by itself.
  await waitFor('lines after the kill', () => readJsonLines(logPath).length > atKill + 20, 30_000);
  await waitFor('the container to exit', async () => (await inspect('survivor')).State.Running === false, 60_000);
  assert.deepEqual(readJsonLines(logPath).map((e) => e.log), Array.from({ length: 300 }, (_, i) => `s-${i + 1}\n`));
  await d.cli(['rm', 'survivor']);
});

test('a log written in k8s-file by an older daemon becomes json-file when its container starts again', async () => {
  const created = await d.api('POST', '/containers/create?name=legacy', { Image: 'bb', Cmd: ['echo', 'new line'] });
  assert.equal(created.status, 201, created.body);
  const logPath = (await inspect('legacy')).LogPath as string;
  fs.mkdirSync(path.dirname(logPath), { recursive: true });
  fs.writeFileSync(logPath, '2026-01-02T03:04:05.600000000+00:00 stdout P old \n2026-01-02T03:04:05.600000000+00:00 stdout F line\n2026-01-02T04:04:05.000000001+01:00 stderr F old error\n');
  const start = await d.cli(['start', '-a', 'legacy']);
  assert.equal(start.code, 0, start.stderr);
  const entries = readJsonLines(logPath);
  assert.deepEqual(entries.map((e) => [e.stream, e.log, e.time]).slice(0, 2), [['stdout', 'old line\n', '2026-01-02T03:04:05.6Z'], ['stderr', 'old error\n', '2026-01-02T03:04:05.000000001Z']]);
  assert.deepEqual(entries.slice(2).map((e) => e.log), ['new line\n']);
  assert.equal((await d.cli(['logs', 'legacy'])).stdout, 'old line\nnew line\n');
  await d.cli(['rm', 'legacy']);
});

test('compress: rotated files are LogPath.N.gz, gzipped json-file lines; logs reads through them', async () => {
  const r = await d.cli(['run', '--name', 'gz', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=3', '--log-opt', 'compress=true', 'bb', 'sh', '-c', 'for i in $(seq 1 300); do echo z-$i-0123456789abcdef; usleep 3000; done']);
  assert.equal(r.code, 0, r.stderr);
  const logPath = (await inspect('gz')).LogPath as string;
  await waitFor('the compressions', () => fs.existsSync(`${logPath}.1.gz`) && fs.existsSync(`${logPath}.2.gz`) && !fs.existsSync(`${logPath}.1`) && !fs.existsSync(`${logPath}.2`), 15_000);
  assert.ok(!fs.existsSync(`${logPath}.3.gz`) && !fs.existsSync(`${logPath}.3`));
  const entries: Entry[] = [];
  for (const f of [`${logPath}.2.gz`, `${logPath}.1.gz`]) {
    const plain = path.join(path.dirname(logPath), `plain-${path.basename(f)}`);
    fs.writeFileSync(plain, zlib.gunzipSync(fs.readFileSync(f)));
    entries.push(...readJsonLines(plain));
    fs.rmSync(plain);
  }
  entries.push(...readJsonLines(logPath));
  const nums = entries.map((e) => Number(/^z-(\d+)-0123456789abcdef\n$/.exec(e.log)?.[1]));
  assert.equal(nums.at(-1), 300);
  assert.deepEqual(nums, Array.from({ length: nums.length }, (_, i) => 300 - nums.length + 1 + i));
  assert.equal((await d.cli(['logs', 'gz'])).stdout, entries.map((e) => e.log).join(''));
  const since = entries[Math.floor(entries.length / 2)]!.time;
  const tail = await d.cli(['logs', '--tail', '3', 'gz']);
  assert.equal(tail.stdout, entries.slice(-3).map((e) => e.log).join(''));
  const windowed = await d.cli(['logs', '--since', since, 'gz']);
  assert.ok(windowed.stdout.length > 0 && entries.map((e) => e.log).join('').endsWith(windowed.stdout));
  await d.cli(['rm', 'gz']);
});

test('none: no log file, and logs answers docker\'s 501', async () => {
  const r = await d.cli(['run', '--name', 'quiet', '--log-driver', 'none', 'bb', 'echo', 'hello']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hello\n', 'attach still shows the output');
  const c = await inspect('quiet');
  assert.equal(c.LogPath, '');
  assert.deepEqual(c.HostConfig.LogConfig, { Type: 'none', Config: {} });
  assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'containers', c.Id)).filter((f) => f.includes('log')), []);
  const logs = await d.api('GET', '/containers/quiet/logs?stdout=1');
  assert.equal(logs.status, 501);
  assert.equal(logs.json.message, 'configured logging driver does not support reading');
  const cli = await d.cli(['logs', 'quiet']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /configured logging driver does not support reading/);
  await d.cli(['rm', 'quiet']);
});

test('local and unknown drivers are refused with a 400; journald only where journald runs', async () => {
  const local = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { LogConfig: { Type: 'local', Config: {} } } });
  assert.equal(local.status, 400);
  assert.match(local.json.message, /local log driver is not supported/);
  const bogus = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { LogConfig: { Type: 'bogus', Config: {} } } });
  assert.equal(bogus.status, 400);
  const compress = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { LogConfig: { Type: 'k8s-file', Config: { 'max-size': '1k', 'max-file': '2', compress: 'true' } } } });
  assert.equal(compress.status, 400);
  assert.equal(compress.json.message, 'compress is not supported by the k8s-file log driver');
  const jd = await d.api('POST', '/containers/create', { Image: 'bb', HostConfig: { LogConfig: { Type: 'journald', Config: {} } } });
  if (fs.existsSync('/run/systemd/journal/socket')) {
    assert.equal(jd.status, 201, jd.body);
    await d.api('DELETE', `/containers/${jd.json.Id}?force=1`);
  } else {
    assert.equal(jd.status, 400);
    assert.equal(jd.json.message, 'failed to initialize logging driver: journald is not enabled on this host');
  }
});

test('k8s-file stays a driver choice: conmon\'s own format, read back by logs', async () => {
  const r = await d.cli(['run', '--name', 'k8s', '--log-driver', 'k8s-file', 'bb', 'sh', '-c', 'echo out; echo err >&2']);
  assert.equal(r.code, 0, r.stderr);
  const c = await inspect('k8s');
  assert.equal(c.HostConfig.LogConfig.Type, 'k8s-file');
  const lines = fs.readFileSync(c.LogPath, 'utf8').trim().split('\n');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^\S+ stdout F out$/);
  assert.match(lines[1]!, /^\S+ stderr F err$/);
  const logs = await d.cli(['logs', 'k8s']);
  assert.equal(logs.stdout, 'out\n');
  assert.equal(logs.stderr, 'err\n');
  await d.cli(['rm', 'k8s']);
  // Its max-size/max-file: the engine renames, conmon reopens.
  const rot = await d.cli(['run', '--name', 'k8srot', '--log-driver', 'k8s-file', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=2', 'bb', 'sh', '-c', 'for i in $(seq 1 200); do echo k-$i-0123456789abcdef; usleep 10000; done']);
  assert.equal(rot.code, 0, rot.stderr);
  const rp = (await inspect('k8srot')).LogPath as string;
  assert.ok(fs.existsSync(`${rp}.1`) && !fs.existsSync(`${rp}.2`), 'rotated, 2 files');
  const rotLines = (await d.cli(['logs', 'k8srot'])).stdout.trim().split('\n');
  assert.equal(rotLines.at(-1), 'k-200-0123456789abcdef');
  const nums = rotLines.map((l) => Number(/^k-(\d+)-/.exec(l)?.[1]));
  assert.deepEqual(nums, Array.from({ length: nums.length }, (_, i) => 200 - nums.length + 1 + i));
  await d.cli(['rm', 'k8srot']);
});

test('daemon.json log-driver and log-opts are the defaults; info shows the driver', async () => {
  const dir = fs.mkdtempSync(path.join(d.dir, 'cfg-'));
  const cfgFile = path.join(dir, 'daemon.json');
  fs.writeFileSync(cfgFile, JSON.stringify({ 'log-driver': 'none' }));
  const dn = await startDaemon({ configFile: cfgFile });
  try {
    await importBusybox(dn);
    assert.equal((await dn.api('GET', '/info')).json.LoggingDriver, 'none');
    const r = await dn.cli(['run', '--name', 'dflt', 'bb', 'echo', 'x']);
    assert.equal(r.code, 0, r.stderr);
    const c = (await dn.api('GET', '/containers/dflt/json')).json;
    assert.equal(c.HostConfig.LogConfig.Type, 'none');
    assert.equal(c.LogPath, '');
    // A container may still ask for json-file.
    const j = await dn.cli(['run', '--name', 'asks', '--log-driver', 'json-file', 'bb', 'echo', 'y']);
    assert.equal(j.code, 0, j.stderr);
    assert.equal((await dn.cli(['logs', 'asks'])).stdout, 'y\n');
  } finally {
    await dn.stop();
  }
  fs.writeFileSync(cfgFile, JSON.stringify({ 'log-driver': 'json-file', 'log-opts': { 'max-size': '2k', 'max-file': '2' } }));
  const dj = await startDaemon({ configFile: cfgFile });
  try {
    await importBusybox(dj);
    assert.equal((await dj.api('GET', '/info')).json.LoggingDriver, 'json-file');
    const r = await dj.cli(['run', '--name', 'opts', 'bb', 'sh', '-c', 'for i in $(seq 1 200); do echo line-$i-0123456789; done']);
    assert.equal(r.code, 0, r.stderr);
    const c = (await dj.api('GET', '/containers/opts/json')).json;
    assert.deepEqual(c.HostConfig.LogConfig, { Type: 'json-file', Config: { 'max-size': '2k', 'max-file': '2' } });
    assert.ok(fs.existsSync(`${c.LogPath}.1`), 'rotated at the daemon\'s max-size');
    assert.ok(!fs.existsSync(`${c.LogPath}.2`));
    for (const f of [`${c.LogPath}.1`, c.LogPath]) readJsonLines(f);
  } finally {
    await dj.stop();
  }
  fs.writeFileSync(cfgFile, JSON.stringify({ 'log-driver': 'local' }));
  await assert.rejects(startDaemon({ configFile: cfgFile }), /local log driver is not supported/);
});
