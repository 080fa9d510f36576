/**
 * Starts a real wharfd (bin/wharfd, from the build) on a temp data root, exec root and unix
 * socket, and tears it down. Every integration test uses this.
 *
 *   const d = await startDaemon();
 *   const info = await d.api('GET', '/info');
 *   const r = await d.cli(['ps', '-a']);       // runs bin/wharf against it
 *   await d.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WHARFD = path.join(REPO, 'bin/wharfd');
export const WHARF = path.join(REPO, 'bin/wharf');

export interface ApiResponse { status: number; headers: http.IncomingHttpHeaders; body: string; json: any }

export interface TestDaemon {
  dir: string;
  sock: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  proc: ChildProcess;
  logs(): string;
  api(method: string, p: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
  cli(args: string[], opts?: { input?: string | Buffer; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult>;
  docker(args: string[], opts?: { input?: string | Buffer; env?: Record<string, string>; timeoutMs?: number }): Promise<CliResult>;
  /** Kill -9 and wait for exit (containers keep running). */
  kill9(): Promise<void>;
  /** Start a new daemon process on the same roots. */
  restart(extraArgs?: string[]): Promise<void>;
  stop(): Promise<void>;
}

export interface CliResult { code: number; stdout: string; stderr: string }

export interface StartOptions {
  args?: string[];
  /** Extra env for the daemon. */
  env?: Record<string, string>;
  storageDriver?: 'overlay2' | 'vfs';
  /** Keep the temp dir after stop (debugging). */
  keep?: boolean;
  configFile?: string;
}

export async function startDaemon(opts: StartOptions = {}): Promise<TestDaemon> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-test-'));
  const sock = path.join(dir, 'wharf.sock');
  const dataRoot = path.join(dir, 'data');
  const execRoot = path.join(dir, 'exec');
  let output = '';
  let proc!: ChildProcess;
  if (!opts.configFile) fs.writeFileSync(path.join(dir, 'daemon.json'), '{}\n');

  const baseArgs = () => [
    '--data-root', dataRoot, '--exec-root', execRoot, '-H', `unix://${sock}`, '--pidfile', path.join(dir, 'wharfd.pid'),
    '--config-file', opts.configFile ?? path.join(dir, 'daemon.json'),
    ...(opts.storageDriver ? ['--storage-driver', opts.storageDriver] : []),
    // Bridge networking is global host state: only tests that ask for it get it.
    ...(opts.args?.some((a) => a === '--bridge' || a === '-b') ? [] : ['--iptables', 'false']),
    ...(opts.args ?? []),
  ];

  async function launch(extra: string[] = []): Promise<void> {
    proc = spawn(WHARFD, [...baseArgs(), ...extra], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    proc.stdout!.on('data', (c) => (output += c));
    proc.stderr!.on('data', (c) => (output += c));
    await waitForSocket(sock, proc, () => output);
  }

  function api(method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return apiRequest(sock, method, p, body, headers);
  }

  const d: TestDaemon = {
    dir, sock, host: `unix://${sock}`, dataRoot, execRoot,
    get proc() { return proc; },
    logs: () => output,
    api,
    cli: (args, o) => runCli(WHARF, args, { ...o, env: { WHARF_HOST: `unix://${sock}`, ...o?.env } }),
    docker: (args, o) => {
      seedDockerConfig(path.join(dir, 'docker-config'));
      return runCli('docker', args, { ...o, env: { DOCKER_HOST: `unix://${sock}`, DOCKER_CONFIG: path.join(dir, 'docker-config'), ...o?.env } });
    },
    async kill9() {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGKILL');
      await exited;
    },
    async restart(extra = []) {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await exited;
      }
      await launch(extra);
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(t);
      }
      await cleanupRoots(dir, execRoot);
      if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await launch();
  return d;
}

/**
 * The docker CLI, given a config.json without logins, picks a platform credential store when
 * its helper is installed (`docker-credential-secretservice` here), which fails without a
 * desktop session ("Cannot autolaunch D-Bus"). A login entry for a registry that never
 * resolves keeps it on the file, as on a machine without those helpers.
 */
function seedDockerConfig(dir: string): void {
  const file = path.join(dir, 'config.json');
  if (fs.existsSync(file)) return;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify({ auths: { 'seed.wharf-test.invalid': {} } }) + '\n', { mode: 0o600 });
}

/** Kills container monitors left under the exec root and unmounts what the daemon mounted. */
async function cleanupRoots(dir: string, execRoot: string): Promise<void> {
  const runcRoot = path.join(execRoot, 'runtime', 'runc');
  try {
    for (const id of fs.readdirSync(runcRoot)) {
      await runCli('runc', ['--root', runcRoot, 'delete', '--force', id], { timeoutMs: 10_000 });
    }
  } catch { /* no runtime state */ }
  try {
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4]).filter((m): m is string => !!m && m.startsWith(dir));
    for (const m of mounts.sort((a, b) => b.length - a.length)) await runCli('umount', ['-l', m], { timeoutMs: 10_000 });
  } catch { /* nothing mounted */ }
}

export function apiRequest(sock: string, method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const h: Record<string, string> = { ...headers };
    if (payload && !h['Content-Type'] && !Buffer.isBuffer(body) && typeof body !== 'string') h['Content-Type'] = 'application/json';
    if (payload) h['Content-Length'] = String(payload.length);
    const req = http.request({ socketPath: sock, method, path: p, headers: h, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try { json = text ? JSON.parse(text) : undefined; } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export function runCli(cmd: string, args: string[], o: { input?: string | Buffer; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    p.on('error', (e) => { clearTimeout(timer); reject(e); });
    p.on('close', (code, signal) => { clearTimeout(timer); resolve({ code: code ?? (signal ? 128 + 9 : 1), stdout, stderr }); });
    p.stdin.on('error', () => {});
    p.stdin.end(o.input);
  });
}

async function waitForSocket(sock: string, proc: ChildProcess, logs: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`wharfd exited (${proc.exitCode ?? proc.signalCode}):\n${logs()}`);
    if (fs.existsSync(sock)) {
      try {
        const r = await apiRequest(sock, 'GET', '/_ping');
        if (r.status === 200) return;
      } catch { /* not yet */ }
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`wharfd did not start within 30 s:\n${logs()}`);
}
