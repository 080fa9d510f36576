/**
 * Debian's docker-compose 1.29.2, unchanged, on a four-service project, against any daemon
 * (`host`): compose.test.ts runs it on wharf; pointed at the reference docker by hand
 * (`node --import tsx test/integration/compose-scenario.ts unix:///tmp/refdocker/docker.sock`)
 * it shows what docker does for the same steps.
 *
 * The project: `seed` (one-off, fills a named volume), `store` (healthcheck-gated, alias `kv` on
 * a user network, a bind-mounted file), `web` (built from a Dockerfile, env_file, a published
 * port, waits for a healthy store) and `worker` (scaled). The image `busybox:latest` must exist.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ComposeRun { code: number; stdout: string; stderr: string }

export interface ComposeScenario {
  dir: string;
  project: string;
  compose(args: string[], timeoutMs?: number): Promise<ComposeRun>;
  /** Like compose(), but fails the test with compose's output when it exits non-zero. */
  ok(args: string[], timeoutMs?: number): Promise<string>;
  /** Like ok(), but only compose's standard output. */
  out(args: string[], timeoutMs?: number): Promise<string>;
  docker(args: string[]): Promise<ComposeRun>;
}

function run(cmd: string, args: string[], env: Record<string, string>, cwd: string, timeoutMs = 120_000): Promise<ComposeRun> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('error', (e) => { clearTimeout(t); reject(e); });
    p.on('close', (code) => { clearTimeout(t); resolve({ code: code ?? 137, stdout, stderr }); });
  });
}

export function composeFile(port: number): string {
  return `version: "2.4"
services:
  seed:
    image: busybox:latest
    volumes:
      - appdata:/data
    environment:
      GREETING: hello from a named volume
    command: ["sh", "-c", "echo \\"$$GREETING\\" > /data/greeting && echo seeded"]
  store:
    image: busybox:latest
    depends_on:
      seed:
        condition: service_completed_successfully
    volumes:
      - appdata:/data
      - ./store.conf:/etc/store.conf:ro
    command: ["httpd", "-f", "-p", "80", "-h", "/data"]
    healthcheck:
      test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/greeting"]
      interval: 1s
      timeout: 2s
      retries: 10
    networks:
      backend:
        aliases: [kv]
  web:
    build: ./web
    depends_on:
      store:
        condition: service_healthy
    env_file: web.env
    ports:
      - "${port}:80"
    networks: [backend]
  worker:
    image: busybox:latest
    depends_on: [store]
    environment:
      MODE: one
    command: ["sh", "-c", "echo worker up; exec sleep 300"]
    networks: [backend]
volumes:
  appdata:
networks:
  backend:
`;
}

/** Writes the project into a new temp dir. */
export function writeProject(port: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-compose-'));
  fs.writeFileSync(path.join(dir, 'docker-compose.yml'), composeFile(port));
  fs.writeFileSync(path.join(dir, 'web.env'), 'SITE_NAME=compose on wharf\n');
  fs.writeFileSync(path.join(dir, 'store.conf'), 'bound from the host\n');
  fs.mkdirSync(path.join(dir, 'web/www/cgi-bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'web/Dockerfile'), 'FROM busybox:latest\nCOPY www /www\nRUN chmod +x /www/cgi-bin/hello\nCMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n');
  fs.writeFileSync(path.join(dir, 'web/www/cgi-bin/hello'), [
    '#!/bin/sh',
    'printf "Content-Type: text/plain\\r\\n\\r\\n"',
    'echo "$SITE_NAME"',
    'echo "by alias: $(wget -q -O- http://kv/greeting)"',
    'echo "by service name: $(wget -q -O- http://store/greeting)"',
    '',
  ].join('\n'), { mode: 0o755 });
  return dir;
}

export function httpGet(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

export function scenario(host: string, port: number, project = `wc${process.pid}`): ComposeScenario {
  const dir = writeProject(port);
  // `run` goes through the docker CLI (compose's default): its Python path (COMPOSE_INTERACTIVE_NO_CLI)
  // attaches only after the start and loses a fast process's output, on docker as well.
  const env = { DOCKER_HOST: host, COMPOSE_PROJECT_NAME: project };
  const compose = (args: string[], timeoutMs?: number) => run('docker-compose', ['--ansi', 'never', ...args], env, dir, timeoutMs);
  return {
    dir,
    project,
    compose,
    async ok(args, timeoutMs) {
      const r = await compose(args, timeoutMs);
      assert.equal(r.code, 0, `docker-compose ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout + r.stderr;
    },
    async out(args, timeoutMs) {
      const r = await compose(args, timeoutMs);
      assert.equal(r.code, 0, `docker-compose ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    },
    docker: (args) => run('docker', args, { DOCKER_HOST: host }, dir),
  };
}

/** Container ids and states of the project, by service: `{ web: ['running'], … }`. */
export async function states(s: ComposeScenario): Promise<Record<string, string[]>> {
  const r = await s.docker(['ps', '-a', '--filter', `label=com.docker.compose.project=${s.project}`, '--format', '{{.Label "com.docker.compose.service"}} {{.State}}']);
  const out: Record<string, string[]> = {};
  for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
    const [svc, state] = line.split(' ');
    (out[svc!] ??= []).push(state!);
  }
  for (const v of Object.values(out)) v.sort();
  return out;
}

// By hand: the same steps against any daemon (the reference docker, say).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const s = scenario(process.argv[2] ?? 'unix:///tmp/refdocker/docker.sock', Number(process.argv[3] ?? 18080));
  console.log(await s.ok(['up', '-d']));
  console.log(await states(s));
  console.log(await httpGet(`http://127.0.0.1:${process.argv[3] ?? 18080}/cgi-bin/hello`));
  console.log(await s.ok(['down', '-v', '--rmi', 'local']));
}
