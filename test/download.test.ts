import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { downloadDataset } from '../src/data/download.js';
import { loadData } from '../src/data/index.js';
import { gantryRun, tempDir } from './helpers.js';

const DEBIAN = '/usr/share/datasets/fashion-mnist';
type Mangle = (name: string, body: Buffer) => { body: Buffer; length?: number } | null;

/** A real HTTP server on 127.0.0.1 serving Debian's Fashion-MNIST files, optionally damaged. */
async function serve(mangle: Mangle = (_n, body) => ({ body })): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    const path = join(DEBIAN, name);
    if (!existsSync(path)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const served = mangle(name, readFileSync(path));
    if (served == null) {
      res.statusCode = 500;
      res.end();
      return;
    }
    res.setHeader('content-length', String(served.length ?? served.body.length));
    if (served.length != null && served.length > served.body.length) {
      res.write(served.body);
      res.socket?.destroy(); // the connection breaks off mid-file
      return;
    }
    res.end(served.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

test('download from a loopback mirror verifies every file and fills the cache', async () => {
  const cache = tempDir();
  const { url, server } = await serve();
  try {
    const first = await downloadDataset('fashion-mnist', { mirror: url, cacheDir: cache });
    assert.equal(first.downloaded.length, 4);
    const second = await downloadDataset('fashion-mnist', { mirror: url, cacheDir: cache });
    assert.deepEqual([second.downloaded.length, second.alreadyPresent.length], [0, 4]);
    const d = await loadData(
      {
        dataset: 'fashion-mnist',
        data: join(cache, 'fashion-mnist'),
        split: 'test',
        imageSize: 28,
        channels: 1,
        fit: 'crop',
        background: 'black',
        strict: false,
      },
      { cacheDir: cache },
    );
    assert.equal(d.count, 10000);
    // The CLI, end to end.
    const cache2 = tempDir();
    const r = await gantryRun(['data', 'download', 'fashion-mnist', '--mirror', url, '--cache', cache2], cache2);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /downloaded and verified: .*train-images-idx3-ubyte\.gz/);
  } finally {
    server.close();
  }
});

test('truncated, cut-off and corrupted downloads are refused and leave the cache as it was', async () => {
  const cache = tempDir();
  const good = await serve();
  await downloadDataset('fashion-mnist', { mirror: good.url, cacheDir: cache }).finally(() => good.server.close());
  const dir = join(cache, 'fashion-mnist');
  const before = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
  const labels = 'train-labels-idx1-ubyte.gz';

  const damaged: [string, Mangle, RegExp][] = [
    [
      'truncated file',
      (n, b) => ({ body: n === labels ? b.subarray(0, b.length - 1000) : b }),
      /train-labels-idx1-ubyte\.gz: corrupt archive|checksum mismatch/,
    ],
    [
      'connection cut',
      (n, b) => (n === labels ? { body: b.subarray(0, 5000), length: b.length } : { body: b }),
      /broke off|received 5000 of|other side closed/,
    ],
    [
      'corrupted byte',
      (n, b) => {
        if (n !== labels) return { body: b };
        const c = Buffer.from(b);
        c[c.length - 20] ^= 0x55;
        return { body: c };
      },
      /train-labels-idx1-ubyte\.gz: (checksum mismatch|corrupt archive)/,
    ],
    ['server error', (n, b) => (n === labels ? null : { body: b }), /HTTP 500/],
  ];
  for (const [what, mangle, pattern] of damaged) {
    // Start from an empty cache for the damaged file, so the download is attempted.
    const fresh = tempDir();
    const server = await serve(mangle);
    try {
      await assert.rejects(downloadDataset('fashion-mnist', { mirror: server.url, cacheDir: fresh }), pattern, what);
      const left = readdirSync(join(fresh, 'fashion-mnist'));
      assert.ok(!left.includes(labels), `${what}: no ${labels} in the cache`);
      assert.ok(
        left.every((f) => !f.endsWith('.part')),
        `${what}: no partial files left`,
      );
      // A cache that already holds good files keeps them untouched.
      await downloadDataset('fashion-mnist', { mirror: server.url, cacheDir: cache });
      for (const [f, bytes] of before) assert.ok(readFileSync(join(dir, f)).equals(bytes), `${what}: ${f} untouched`);
      const r = await gantryRun(
        ['data', 'download', 'fashion-mnist', '--mirror', server.url, '--cache', tempDir()],
        fresh,
      );
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, pattern);
    } finally {
      server.server.close();
    }
  }
});
