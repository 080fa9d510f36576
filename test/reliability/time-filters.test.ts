/**
 * Time arguments (docs/reliability.md "Time arguments"): `until`/`since` are parsed by one
 * module (src/api/types/docker-time.ts) the way moby does. The incident this guards against:
 * `docker container prune -f --filter until=24h` removed a container created seconds before.
 * Prunes with until=24h keep what is fresh, until=1s (after waiting) removes it; events and logs
 * take durations and dates through the CLI and unix seconds through the API; bad values are
 * a 400 with docker's message (compared with the reference dockerd where one answers).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startNetDaemon, type NetHarness } from '../integration/networking-harness.ts';
import { differential } from '../helpers/differential.ts';

let h: NetHarness;
before(async () => { h = await startNetDaemon(); });
after(async () => { await h?.close(); });

const q = (f: unknown) => encodeURIComponent(JSON.stringify(f));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('prune until=24h keeps a fresh container, image and network; until=1s removes them', async () => {
  const d = h.d;
  await h.ok(['create', '--name', 'tf-ctr', '--label', 'tf=1', 'busybox', 'true']);
  await h.ok(['commit', '--change', 'LABEL tf=1', 'tf-ctr', 'tf-img:1']);
  await h.ok(['network', 'create', '--label', 'tf=1', '--subnet', h.subnet(), 'tf-net']);

  // The incident's command, with the real docker CLI: nothing fresh may go.
  await h.ok(['container', 'prune', '-f', '--filter', 'until=24h', '--filter', 'label=tf=1']);
  await h.ok(['image', 'prune', '-a', '-f', '--filter', 'until=24h', '--filter', 'label=tf=1']);
  await h.ok(['network', 'prune', '-f', '--filter', 'until=24h', '--filter', 'label=tf=1']);
  await h.ok(['system', 'prune', '-a', '-f', '--filter', 'until=24h', '--filter', 'label=tf=1']);
  for (const v of ['1h30m', '1.5h', '2006-01-02T15:04:05Z', '2006-01-02', String(Math.floor(Date.now() / 1000) - 3600)]) {
    assert.equal((await d.api('POST', `/containers/prune?filters=${q({ until: [v], label: ['tf=1'] })}`)).json.ContainersDeleted, null, v);
    assert.equal((await d.api('POST', `/images/prune?filters=${q({ until: [v], label: ['tf=1'], dangling: ['false'] })}`)).json.ImagesDeleted, null, v);
    assert.equal((await d.api('POST', `/networks/prune?filters=${q({ until: [v], label: ['tf=1'] })}`)).json.NetworksDeleted, null, v);
  }
  assert.equal((await d.api('GET', '/containers/tf-ctr/json')).status, 200);
  assert.equal((await d.api('GET', '/images/tf-img:1/json')).status, 200);
  assert.equal((await d.api('GET', '/networks/tf-net')).status, 200);

  await sleep(2100);
  const c = await d.api('POST', `/containers/prune?filters=${q({ until: ['1s'], label: ['tf=1'] })}`);
  assert.equal(c.json.ContainersDeleted?.length, 1, c.body);
  const i = await d.api('POST', `/images/prune?filters=${q({ until: ['1s'], label: ['tf=1'], dangling: ['false'] })}`);
  assert.ok(i.json.ImagesDeleted?.some((x: any) => x.Untagged === 'tf-img:1'), i.body);
  const n = await d.api('POST', `/networks/prune?filters=${q({ until: ['1s'], label: ['tf=1'] })}`);
  assert.deepEqual(n.json.NetworksDeleted, ['tf-net']);
  assert.equal((await d.api('GET', '/containers/tf-ctr/json')).status, 404);
  assert.equal((await d.api('GET', '/images/tf-img:1/json')).status, 404);
  assert.equal((await d.api('GET', '/networks/tf-net')).status, 404);
});

test('volume prune refuses until as docker does, and keeps every volume', async () => {
  await h.ok(['volume', 'create', 'tf-vol']);
  const r = await h.d.api('POST', `/volumes/prune?filters=${q({ until: ['24h'] })}`);
  assert.equal(r.status, 400);
  assert.match(r.json.message, /^[Ii]nvalid filter 'until'$/);
  assert.equal((await h.d.api('GET', '/volumes/tf-vol')).status, 200);
  await h.ok(['volume', 'rm', 'tf-vol']);
});

test('bad until values: 400 with docker\'s message, nothing removed', async () => {
  await h.ok(['create', '--name', 'tf-keep', '--label', 'tfk=1', 'busybox', 'true']);
  const bad = ['abc', '24x', '', '1.2.3', '2006-13-01', '2020-02-30', '2020-01-01x', '2020-1-01', '-1.5', '12345678901234567890'];
  for (const kind of ['containers', 'images', 'networks']) {
    for (const v of bad) {
      await differential(h.d, async (t) => {
        const r = await t.api('POST', `/${kind}/prune?filters=${q({ until: [v], label: ['tfk=1'] })}`);
        if (t.kind === 'wharf') assert.equal(r.status, 400, `${kind} ${v}: ${r.body}`);
        return r.json.message;
      });
    }
    const two = await h.d.api('POST', `/${kind}/prune?filters=${q({ until: ['1h', '2h'] })}`);
    assert.deepEqual([two.status, two.json.message], [400, 'more than one until filter specified']);
  }
  for (const v of ['abc', '2020-01-01', '1.2.3']) {
    await differential(h.d, async (t) => {
      const r = await t.api('POST', `/build/prune?filters=${q({ until: [v] })}`);
      if (t.kind === 'wharf') assert.equal(r.status, 400, r.body);
      return r.json.message;
    });
  }
  assert.equal((await h.d.api('POST', `/build/prune?filters=${q({ until: ['24h'] })}`)).status, 200);
  const cli = await h.d.docker(['container', 'prune', '-f', '--filter', 'until=24x']);
  assert.notEqual(cli.code, 0);
  assert.match(cli.stderr, /failed to parse value as time or duration: "24x"/);
  assert.equal((await h.d.api('GET', '/containers/tf-keep/json')).status, 200);
  await h.ok(['rm', 'tf-keep']);
});

test('events: since/until as durations and dates (CLI) and unix seconds (API); bad values 400', async () => {
  const t0 = Date.now() / 1000;
  await h.ok(['create', '--name', 'tf-ev', 'busybox', 'true']);
  await sleep(1100);
  const t1 = Date.now() / 1000;
  await h.ok(['rm', 'tf-ev']);
  const api = await h.d.api('GET', `/events?since=${t0.toFixed(9)}&until=${t1.toFixed(9)}&filters=${q({ container: ['tf-ev'] })}`);
  assert.equal(api.status, 200);
  assert.deepEqual(api.body.trim().split('\n').map((l) => JSON.parse(l).Action), ['create']);
  for (const cli of ['wharf', 'docker'] as const) {
    const run = (args: string[]) => (cli === 'wharf' ? h.d.cli(args) : h.d.docker(args));
    // Durations are whole seconds (Go's Unix()): --until 0s could end before the last event.
    const dur = await run(['events', '--since', '1m', '--until', '-1s', '--filter', 'container=tf-ev', '--format', '{{.Action}}']);
    assert.equal(dur.code, 0, dur.stderr);
    assert.deepEqual(dur.stdout.trim().split('\n'), ['create', 'destroy'], cli);
    const rfc = await run(['events', '--since', new Date(t0 * 1000 - 1000).toISOString(), '--until', new Date(t1 * 1000).toISOString(), '--filter', 'container=tf-ev', '--format', '{{.Action}}']);
    assert.deepEqual(rfc.stdout.trim().split('\n'), ['create'], `${cli} ${rfc.stderr}`);
    const bad = await run(['events', '--since', '10x']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /failed to parse value as time or duration: "10x"/);
  }
  for (const [p, v] of [['since', '10m'], ['until', '2020-01-01T00:00:00Z'], ['since', '1.abc']] as const) {
    await differential(h.d, async (t) => {
      const r = await t.api('GET', `/events?${p}=${encodeURIComponent(v)}${p === 'since' ? '&until=1' : '&since=1'}`);
      if (t.kind === 'wharf') assert.equal(r.status, 400, r.body);
      return r.json.message;
    });
  }
  await differential(h.d, async (t) => {
    const r = await t.api('GET', '/events?since=1.5&until=1');
    return [r.status, r.json.message];
  });
});

test('logs: since/until as durations and dates (CLI) and unix seconds (API); bad values 400', async () => {
  await h.ok(['run', '--name', 'tf-log', 'busybox', 'echo', 'hello']);
  const cases: [string[], string][] = [
    [['--since', '1h'], 'hello'],
    [['--since', '-1h'], ''],
    [['--until', '1h'], ''],
    [['--until', '-1m'], 'hello'],
    [['--since', '2006-01-02'], 'hello'],
    [['--since', new Date(Date.now() + 60_000).toISOString()], ''],
    [['--since', String(Math.floor(Date.now() / 1000) - 600)], 'hello'],
  ];
  for (const [args, want] of cases) {
    for (const cli of ['wharf', 'docker'] as const) {
      const a = ['logs', ...args, 'tf-log'];
      const r = cli === 'wharf' ? await h.d.cli(a) : await h.d.docker(a);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), want, `${cli} ${args.join(' ')}`);
    }
  }
  const bad = await h.d.docker(['logs', '--since', 'abc', 'tf-log']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /failed to parse value as time or duration: "abc"/);
  for (const v of ['abc', '10m', '2020-01-01T00:00:00Z']) {
    const r = await h.d.api('GET', `/containers/tf-log/logs?stdout=1&since=${encodeURIComponent(v)}`);
    assert.deepEqual([r.status, r.json.message], [400, `strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`]);
  }
  await h.ok(['rm', 'tf-log']);
});

test('image list until: a time argument in every form; bad values 400', async () => {
  await h.ok(['tag', 'busybox', 'tf-list:1']);
  const list = async (v: string) => h.d.api('GET', `/images/json?filters=${q({ until: [v], reference: ['tf-list'] })}`);
  assert.equal((await list('-1h')).json.length, 1);
  assert.equal((await list(String(Math.floor(Date.now() / 1000) + 60))).json.length, 1);
  assert.equal((await list('1970-01-02')).json.length, 0);
  const bad = await list('24x');
  assert.deepEqual([bad.status, bad.json.message], [400, 'failed to parse value as time or duration: "24x"']);
  await h.ok(['rmi', 'tf-list:1']);
});
