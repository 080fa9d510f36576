/**
 * Shared setup for the runtime driver tests: a private exec root per test file, the busybox
 * rootfs (read-only, shared), cgroups under /wharf-test/, and helpers to run a container to
 * its exit and to read attach output up to a pattern. Everything is removed by cleanup().
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { readK8sLog } from '../../src/common/k8s-log.ts';
import type { CreateOptions, ExitInfo } from '../../src/drivers/runtime/contract.ts';
import { RuncRuntime } from '../../src/drivers/runtime/runc/runtime.ts';
import { buildRuntimeSpec, type RuntimeSpec, type SpecInput } from '../../src/oci/index.ts';
import { busyboxRootfsDir } from '../helpers/busybox-rootfs.ts';

export interface RunResult extends ExitInfo {
  id: string;
  stdout: string;
  stderr: string;
}

export class Harness {
  readonly execRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-rt-'));
  rt = new RuncRuntime({ execRoot: this.execRoot });
  rootfs = '';
  private readonly prefix = crypto.randomBytes(4).toString('hex');
  private n = 0;
  readonly ids: string[] = [];

  async init(): Promise<this> {
    this.rootfs = await busyboxRootfsDir();
    return this;
  }

  newId(): string {
    const id = `t${this.prefix}-${this.n++}`;
    this.ids.push(id);
    return id;
  }

  logPath(id: string): string {
    return path.join(this.execRoot, 'logs', `${id}.log`);
  }

  spec(id: string, args: string[], extra: Partial<SpecInput> = {}): RuntimeSpec {
    return buildRuntimeSpec({
      rootfs: this.rootfs, readonlyRootfs: true, args, hostname: id.slice(0, 12),
      cgroupsPath: `/wharf-test/${id}`, ...extra,
    });
  }

  /** create + start + wait; stdout/stderr come from the k8s-file log. */
  async run(args: string[], extra: Partial<SpecInput> = {}, create: Partial<CreateOptions> = {}): Promise<RunResult> {
    const id = this.newId();
    await this.rt.create(id, { spec: this.spec(id, args, extra), logPath: this.logPath(id), ...create });
    const exited = this.rt.waitExit(id);
    await this.rt.start(id);
    const info = await exited;
    const { stdout, stderr } = await this.logs(id);
    await this.rt.delete(id);
    return { id, ...info, stdout, stderr };
  }

  async logs(id: string): Promise<{ stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    for await (const e of readK8sLog(this.logPath(id))) {
      if (e.stream === 'stdout') stdout += e.line.toString();
      else stderr += e.line.toString();
    }
    return { stdout, stderr };
  }

  async cleanup(): Promise<void> {
    for (const id of this.ids) await this.rt.delete(id, true).catch(() => undefined);
    this.rt.close();
    fs.rmSync(this.execRoot, { recursive: true, force: true });
  }
}

/** Collects a stream's text until `re` matches (rejects after `ms`, a failure guard only). */
export function readUntil(stream: Readable, re: RegExp, ms = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      stream.off('data', onData);
      reject(new Error(`timeout waiting for ${re} in ${JSON.stringify(text)}`));
    }, ms);
    const onData = (c: Buffer) => {
      text += c.toString();
      if (re.test(text)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve(text);
      }
    };
    stream.on('data', onData);
  });
}

/** All of a stream's text until it ends. */
export async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const c of stream) text += (c as Buffer).toString();
  return text;
}
