/**
 * An archive written by real `docker save` (Debian's docker.io 20.10, committed as a fixture)
 * loads into wharf with the same image ID and DiffIDs, and wharf's save of it loads back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startDaemon, REPO } from '../helpers/daemon.ts';

const FIXTURE = path.join(REPO, 'test/fixtures/docker-20.10-save.tar.gz');
const ID = 'sha256:6ce467dbf13992485e32aec1c5f37f39bcac1344925b91f93583df63613d4282';
const DIFF = 'sha256:e26502745c575b76e070344d4fb76c5d92186bc1a1a52c8e45025717afd65571';

test('docker save archive → wharf load: same ID, same DiffIDs, docker\'s names', async () => {
  const d = await startDaemon();
  try {
    const r = await d.cli(['load', '-i', FIXTURE]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Loaded image: fixture\/dk:v1/);
    const i = (await d.api('GET', '/images/fixture/dk:v1/json')).json;
    assert.equal(i.Id, ID);
    assert.deepEqual(i.RootFS.Layers, [DIFF]);
    assert.deepEqual(i.Config.Env, ['FIXTURE=1']);
    assert.equal(i.Config.Labels['made.by'], 'docker');
    const out = path.join(d.dir, 'again.tar');
    assert.equal((await d.cli(['save', '-o', out, 'fixture/dk:v1'])).code, 0);
    assert.equal((await d.cli(['rmi', 'fixture/dk:v1'])).code, 0);
    const back = await d.cli(['load', '-i', out]);
    assert.equal(back.code, 0, back.stderr);
    assert.equal((await d.api('GET', '/images/fixture/dk:v1/json')).json.Id, ID);
  } finally {
    await d.stop();
  }
});
