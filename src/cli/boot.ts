/**
 * The CLI's first module: loads the CLI bundle (`wharf-cli.cjs`, beside this file) through a
 * V8 code cache, so a start skips compiling ~450 KB of JavaScript. The cache is written
 * after the first run (and again whenever V8 rejects it: another Node, other flags); writing
 * is atomic and best-effort, so a read-only install still runs, only without the cache.
 *
 * bin/wharf moves NODE_EXTRA_CA_CERTS aside before Node starts (Node 20 reads that file at
 * every start, ~50 ms); it is put back here for children, and the client adds it to the trust
 * store when it dials a TLS daemon.
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { Module } from 'node:module';

const extraCa = process.env.WHARF_NODE_EXTRA_CA_CERTS;
if (extraCa) {
  process.env.NODE_EXTRA_CA_CERTS = extraCa;
  delete process.env.WHARF_NODE_EXTRA_CA_CERTS;
}

const file = path.join(__dirname, 'wharf-cli.cjs');
const cacheFile = `${file}.cache`;
const source = fs.readFileSync(file, 'utf8');
let cachedData: Buffer | undefined;
try { cachedData = fs.readFileSync(cacheFile); } catch { /* first run, or unreadable: compiled afresh (the cache is only a speed-up) */ }
const script = new vm.Script((Module as unknown as { wrap(s: string): string }).wrap(source), { filename: file, cachedData });
if (!cachedData || script.cachedDataRejected) {
  // After the command ran, the cache also holds the functions it compiled on the way.
  process.once('exit', () => {
    const tmp = `${cacheFile}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(tmp, script.createCachedData());
      fs.renameSync(tmp, cacheFile);
    } catch {
      // The cache is only a speed-up: a read-only install just runs without it.
      try { fs.unlinkSync(tmp); } catch { /* never written */ }
    }
  });
}
const mod = { exports: {} };
const wrapper = script.runInThisContext() as (e: object, r: NodeRequire, m: object, f: string, d: string) => void;
wrapper.call(mod.exports, mod.exports, require, mod, file, __dirname);
