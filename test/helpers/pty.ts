/**
 * Drives a command on a real pseudo-terminal (python3's pty module), like a user at a
 * terminal: `expect:TEXT`, `send:TEXT` (with \r, \x10 escapes), `sleep:SECS`.
 *   const r = await runPty(['docker', 'run', '-it', 'bb', 'sh'], ['expect:# ', 'send:exit 3\r'], env);
 *   r.code === 3; r.output has everything the terminal showed.
 */
import { spawn } from 'node:child_process';

const SCRIPT = String.raw`
import os, pty, sys, time, select, json
actions = json.loads(sys.argv[1]); cmd = sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
buf = b''
def read_some(t):
    global buf
    r, _, _ = select.select([fd], [], [], t)
    if r:
        try:
            d = os.read(fd, 65536)
        except OSError:
            return False
        if not d: return False
        buf += d
    return True
deadline = time.time() + 30
for a in actions:
    kind, _, arg = a.partition(':')
    if kind == 'expect':
        while arg.encode() not in buf:
            if time.time() > deadline or not read_some(0.2):
                if arg.encode() not in buf:
                    sys.stdout.write(buf.decode('utf8', 'replace')); sys.stdout.write('\n[pty] missing %r\n' % arg); os.kill(pid, 9); sys.exit(99)
    elif kind == 'send':
        os.write(fd, arg.encode().decode('unicode_escape').encode('latin1'))
    elif kind == 'sleep':
        end = time.time() + float(arg)
        while time.time() < end: read_some(0.05)
end = time.time() + 20
while time.time() < end:
    if not read_some(0.2): break
    if os.waitpid(pid, os.WNOHANG) != (0, 0): break
while read_some(0.1): pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(buf.decode('utf8', 'replace'))
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, 'waitstatus_to_exitcode') else status >> 8)
`;

export function runPty(cmd: string[], actions: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', SCRIPT, JSON.stringify(actions), ...cmd], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (c) => (output += c));
    p.stderr.on('data', (c) => (output += c));
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? -1, output }); });
  });
}
