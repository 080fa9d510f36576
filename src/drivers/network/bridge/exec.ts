/**
 * Spawning the host tools the bridge driver drives (`ip`, `iptables-restore`, `nsenter`,
 * `unshare`, `mount`): one promise per process, stdin fed from a string, a typed error
 * carrying the exit code and stderr on failure. No shell, except the one fixed script in links.ts.
 */
import { spawn } from 'node:child_process';
import { SystemError } from '../../../common/errors.ts';

export class CommandError extends SystemError {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`${command}: exit ${exitCode}: ${stderr.trim()}`);
  }
}

/** Runs `cmd args…`, writes `input` to its stdin, resolves with stdout; rejects with CommandError. */
export function run(cmd: string, args: string[], input?: string, fd3?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdio: ('ignore' | 'pipe')[] = [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
    if (fd3 !== undefined) stdio.push('pipe');
    const child = spawn(cmd, args, { stdio });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new CommandError(cmd, null, e.message)));
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new CommandError(`${cmd} ${args.join(' ')}`, code, Buffer.concat(err).toString('utf8')));
    });
    if (fd3 !== undefined) {
      const w = child.stdio[3] as NodeJS.WritableStream;
      w.on('error', () => { /* the exit code tells */ });
      w.end(fd3);
    }
    if (input !== undefined) {
      child.stdin!.on('error', () => { /* the exit code tells */ });
      child.stdin!.end(input);
    }
  });
}

/** `ip -batch -` in the host network namespace. */
export function ipBatch(lines: string[]): Promise<string> {
  return run('ip', ['-batch', '-'], lines.join('\n') + '\n');
}

/** `ip -batch -` inside the network namespace bind-mounted at `nsPath`. */
export function ipBatchIn(nsPath: string, lines: string[]): Promise<string> {
  return run('nsenter', [`--net=${nsPath}`, 'ip', '-batch', '-'], lines.join('\n') + '\n');
}

/** `iptables-restore --noflush` (atomic per table) in the host or in `nsPath`. */
export function iptablesRestore(text: string, nsPath?: string, family: 4 | 6 = 4): Promise<string> {
  if (!text.trim()) return Promise.resolve('');
  const bin = family === 6 ? 'ip6tables-restore' : 'iptables-restore';
  return nsPath
    ? run('nsenter', [`--net=${nsPath}`, bin, '--noflush', '-w'], text)
    : run(bin, ['--noflush', '-w'], text);
}

export function iptablesSave(table: string, family: 4 | 6 = 4): Promise<string> {
  return run(family === 6 ? 'ip6tables-save' : 'iptables-save', ['-t', table]);
}
