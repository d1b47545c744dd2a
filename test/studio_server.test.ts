import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCheckpoint } from '../src/io/checkpoint.js';
import type { RunSummary } from '../src/studio/runs.js';
import { type Studio, startStudio } from '../src/studio/server.js';
import { gantry, gantryAsync, gantryRun, tempDir } from './helpers.js';

const dir = tempDir();
const runs = join(dir, 'runs');
const web = join(dir, 'web');
/** Lies next to the runs folder: no request may ever return it. */
const SECRET = 'TOP-SECRET-7c1e9a';
let studio: Studio;
let port: number;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A request with the path sent exactly as written (no client-side normalisation). */
function get(
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string; to?: number } = {},
): Promise<Reply> {
  return new Promise((resolveReply, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: options.to ?? port,
        path,
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolveReply({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = async (path: string) => {
  const r = await get(path);
  assert.equal(r.status, 200, `${path}: ${r.body}`);
  assert.equal(r.headers['content-type'], 'application/json');
  return JSON.parse(r.body.toString());
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stepLine = (epoch: number, step: number) =>
  `${JSON.stringify({ epoch, step, global_step: step, d_loss: 0.5, g_loss: 0.7, step_ms: 10, images: 64 })}\n`;

before(async () => {
  mkdirSync(runs);
  // Two real runs, trained side by side: a plain one and one that keeps an EMA generator.
  const [a, ema] = await Promise.all([
    gantryRun(['train', '--epochs', '1', '--limit', '128', '--batch-size', '64', '--out', join(runs, 'a')], dir),
    gantryRun(
      ['train', '--epochs', '1', '--limit', '128', '--batch-size', '64', '--ema', '0.9', '--out', join(runs, 'ema')],
      dir,
    ),
  ]);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(ema.status, 0, ema.stderr);
  const config = readFileSync(join(runs, 'a', 'config.json'), 'utf8');
  const status = (state: string, pid: number, error?: string) =>
    JSON.stringify({ state, pid, error, started: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:00Z' });
  const run = (name: string, files: Record<string, string | Buffer>) => {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(join(runs, name, file, '..'), { recursive: true });
      writeFileSync(join(runs, name, file), content);
    }
  };

  writeFileSync(join(dir, 'secret.txt'), `${SECRET}\nroot:x:0:0\n`);
  writeFileSync(join(runs, 'notes.txt'), SECRET);
  run('bad-config', { 'config.json': '{"dataset": "mnist", "epochs": ' });
  run('half-metrics', { 'metrics.jsonl': `${stepLine(1, 1)}${stepLine(1, 2)}{"epoch":1,"step":3,"glo` });
  run('dead', { 'config.json': config, 'status.json': status('training', 999999), 'metrics.jsonl': stepLine(1, 1) });
  run('failed', {
    'config.json': config,
    'status.json': status('failed', 999999, 'training diverged at epoch 1'),
    'metrics.jsonl': stepLine(1, 1),
  });
  run('garbage-checkpoint', {
    'config.json': config,
    'checkpoint.bin': Buffer.from('GANTRYCK\x01\x00\x00\x00\xff\xff\x00\x00 not a header at all'),
    'metrics.jsonl': '',
  });
  run('random-checkpoint', { 'checkpoint.bin': Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251)) });
  run('garbage-metrics', {
    'config.json': config,
    'metrics.jsonl': `${stepLine(1, 1)}\u0000\u00ff binary junk\n${stepLine(1, 2)}`,
  });
  run('status-junk', { 'config.json': config, 'status.json': '{"state": "trai' });
  run('config-array', { 'config.json': '[1, 2, 3]' });
  mkdirSync(join(runs, 'config-folder', 'config.json'), { recursive: true });
  run('config-folder', { 'metrics.jsonl': stepLine(1, 1) });
  run('group/nested', { 'config.json': config, 'metrics.jsonl': stepLine(1, 1) });
  mkdirSync(join(runs, 'not-a-run', 'samples'), { recursive: true });
  run('live', { 'config.json': config, 'status.json': status('training', process.pid), 'metrics.jsonl': '' });
  // Symbolic links that lead out of the runs folder: a whole run, a sample grid and fid.png.
  run('../outside-run', { 'config.json': `{"dataset": "${SECRET}"}`, 'metrics.jsonl': `{"secret": "${SECRET}"}\n` });
  run('../outside-run', {
    'samples/epoch-001.png': SECRET,
    'status.json': `{"state": "failed", "error": "${SECRET}"}`,
  });
  symlinkSync(join(dir, 'outside-run'), join(runs, 'linked'));
  mkdirSync(join(runs, 'linked-files'));
  for (const f of ['config.json', 'metrics.jsonl', 'status.json', 'samples'])
    symlinkSync(join(dir, 'outside-run', f), join(runs, 'linked-files', f));
  symlinkSync(join(dir, 'secret.txt'), join(runs, 'a', 'samples', 'leak.png'));
  symlinkSync(join(dir, 'secret.txt'), join(runs, 'a', 'fid.png'));
  // A built front end.
  mkdirSync(join(web, 'assets'), { recursive: true });
  writeFileSync(
    join(web, 'index.html'),
    '<!doctype html><title>studio</title><script type="module" src="/assets/app.js"></script>',
  );
  writeFileSync(join(web, 'assets', 'app.js'), 'console.log("studio")');
  writeFileSync(join(web, 'assets', 'app.css'), 'body{}');

  studio = await startStudio({ runsDir: runs, port: 0, webDir: web });
  port = studio.port;
  assert.equal(studio.url, `http://127.0.0.1:${port}/`);
});

after(() => studio?.close());

test('the runs list shows every run with its status and never fails on malformed ones', async () => {
  const list = (await json('/api/runs')) as { root: string; runs: RunSummary[] };
  assert.equal(list.root, runs);
  const byId = new Map(list.runs.map((r) => [r.id, r]));
  assert.deepEqual(
    [...byId.keys()],
    [
      'a',
      'bad-config',
      'config-array',
      'config-folder',
      'dead',
      'ema',
      'failed',
      'garbage-checkpoint',
      'garbage-metrics',
      'group/nested',
      'half-metrics',
      'linked-files',
      'live',
      'random-checkpoint',
      'status-junk',
    ],
  );

  const a = byId.get('a')!;
  assert.equal(a.status, 'finished');
  assert.equal(a.error, undefined);
  assert.deepEqual(
    [
      a.dataset,
      a.data,
      a.preset,
      a.task,
      a.architecture,
      a.conditioning,
      a.numClasses,
      a.latentDim,
      a.imageSize,
      a.channels,
      a.epochs,
    ],
    ['mnist', null, 'dcgan', 'none', 'dcgan', 'none', 0, 100, 28, 1, 1],
  );
  assert.deepEqual([a.epoch, a.globalStep, a.stepsPerEpoch, a.bestFid, a.lastEval], [1, 2, 2, null, null]);
  assert.deepEqual([a.hasCheckpoint, a.hasEma], [true, false]);
  assert.deepEqual(a.samples, ['epoch-001.png'], 'regular files only: the link leak.png is left out');
  assert.ok(Math.abs(a.updated - statSync(join(runs, 'a', 'status.json')).mtimeMs) < 60_000);
  assert.equal(byId.get('ema')!.hasEma, true);

  const expect: Record<string, [string, RegExp?]> = {
    'bad-config': ['broken', /config\.json is not valid JSON/],
    'config-array': ['broken', /config\.json is not a JSON object/],
    'config-folder': ['broken', /config\.json is unreadable/],
    'half-metrics': ['broken', /config\.json is missing/],
    dead: ['stopped', /the training process is gone/],
    failed: ['failed', /training diverged/],
    'garbage-checkpoint': ['broken', /checkpoint\.bin is unreadable/],
    'random-checkpoint': ['broken', /checkpoint\.bin is unreadable: not a gantry checkpoint/],
    'garbage-metrics': ['broken', /metrics\.jsonl has 1 malformed line \(first: line 2\)/],
    'status-junk': ['broken', /status\.json is not valid JSON/],
    'linked-files': [
      'broken',
      /^config\.json links outside the run folder; metrics\.jsonl links outside the run folder; status\.json links outside the run folder$/,
    ],
    'group/nested': ['unknown'],
    live: ['training'],
  };
  for (const [id, [status, error]] of Object.entries(expect)) {
    const run = byId.get(id)!;
    assert.equal(run.status, status, `${id}: ${run.error}`);
    if (error) assert.match(run.error!, error, id);
  }
  // The half-written run still shows what it has.
  assert.equal(byId.get('half-metrics')!.globalStep, 2);
  assert.ok(!JSON.stringify(list).includes(SECRET));
  // One run's summary.
  assert.deepEqual(await json('/api/runs/group/nested'), byId.get('group/nested'));
  assert.equal((await get('/api/runs/not-a-run')).status, 404);
  assert.equal((await get('/api/runs/linked')).status, 404);
});

test('metrics are complete lines from a byte offset; a half-written last line waits', async () => {
  const file = join(runs, 'half-metrics', 'metrics.jsonl');
  const full = Buffer.byteLength(stepLine(1, 1) + stepLine(1, 2));
  const all = await json('/api/runs/half-metrics/metrics');
  assert.deepEqual(all, { lines: [JSON.parse(stepLine(1, 1)), JSON.parse(stepLine(1, 2))], bytes: full, skipped: 0 });
  const rest = await json(`/api/runs/half-metrics/metrics?from=${Buffer.byteLength(stepLine(1, 1))}`);
  assert.deepEqual(rest, { lines: [JSON.parse(stepLine(1, 2))], bytes: full, skipped: 0 });
  assert.deepEqual(await json(`/api/runs/half-metrics/metrics?from=${full}`), { lines: [], bytes: full, skipped: 0 });
  assert.ok(statSync(file).size > full);

  const garbage = await json('/api/runs/garbage-metrics/metrics');
  assert.equal(garbage.lines.length, 2);
  assert.equal(garbage.skipped, 1);
  assert.equal(garbage.bytes, statSync(join(runs, 'garbage-metrics', 'metrics.jsonl')).size);
  const real = await json('/api/runs/a/metrics');
  assert.deepEqual(
    real.lines,
    readFileSync(join(runs, 'a', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
  );
  assert.equal((await get('/api/runs/a/metrics?from=-1')).status, 400);
  assert.equal((await get('/api/runs/a/metrics?from=1e3')).status, 400);
});

/** Reads a server-sent event stream; `next` waits for the next event that satisfies a test. */
function openStream(path: string, headers: Record<string, string> = {}) {
  // biome-ignore lint/suspicious/noExplicitAny: SSE payloads are JSON of several shapes; each test reads its own fields
  const events: { event: string; id?: string; data: any }[] = [];
  let buffer = '';
  let waiting: (() => void) | null = null;
  let status = 0;
  let contentType = '';
  let req: ReturnType<typeof request> | null = null;
  const opened = new Promise<void>((resolveOpen, reject) => {
    req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      status = res.statusCode!;
      contentType = res.headers['content-type'] ?? '';
      resolveOpen();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let cut = buffer.indexOf('\n\n'); cut !== -1; cut = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields = Object.fromEntries(
            block
              .split('\n')
              .filter((l) => !l.startsWith(':') && l.includes(':'))
              .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
          );
          if (fields.event != null) events.push({ event: fields.event, id: fields.id, data: JSON.parse(fields.data) });
        }
        waiting?.();
      });
    });
    req.on('error', reject);
    req.end();
  });
  let seen = 0;
  const stream = {
    opened,
    events,
    close: () => {
      req?.destroy();
    },
    get status() {
      return status;
    },
    get contentType() {
      return contentType;
    },
    /** The next event (after those already taken) named `event`. */
    // biome-ignore lint/suspicious/noExplicitAny: as above
    async next(event: string, timeoutMs = 3000): Promise<{ event: string; id?: string; data: any }> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (seen < events.length) {
          const e = events[seen++];
          if (e.event === event) return e;
        }
        if (Date.now() > deadline)
          throw new Error(`no '${event}' event within ${timeoutMs} ms (got ${events.map((e) => e.event).join(', ')})`);
        await new Promise<void>((r) => {
          waiting = r;
          setTimeout(r, 100);
        });
      }
    },
  };
  return stream;
}

test('the event stream delivers new metrics lines in order as a live run writes them, and status changes', async () => {
  const file = join(runs, 'live', 'metrics.jsonl');
  const stream = openStream('/api/runs/live/events');
  await stream.opened;
  assert.equal(stream.status, 200);
  assert.match(stream.contentType, /^text\/event-stream/);
  const first = await stream.next('status');
  assert.equal(first.data.status, 'training');
  assert.equal(first.data.id, 'live');

  appendFileSync(file, stepLine(1, 1) + stepLine(1, 2));
  let e = await stream.next('metrics');
  assert.deepEqual(
    e.data.lines.map((l: { step?: number }) => l.step),
    [1, 2],
  );
  assert.equal(e.data.bytes, statSync(file).size);
  assert.equal(e.id, String(e.data.bytes));

  // Half a line: nothing yet, and /metrics leaves it out too.
  const half = stepLine(1, 3);
  appendFileSync(file, half.slice(0, 20));
  await sleep(800);
  assert.equal(stream.events.filter((x) => x.event === 'metrics').length, 1);
  assert.equal((await json('/api/runs/live/metrics')).bytes, statSync(file).size - 20);
  appendFileSync(file, half.slice(20) + stepLine(1, 4));
  e = await stream.next('metrics');
  assert.deepEqual(
    e.data.lines.map((l: { step?: number }) => l.step),
    [3, 4],
  );
  assert.equal(e.data.bytes, statSync(file).size);

  // A sample grid and the end of training change the status.
  mkdirSync(join(runs, 'live', 'samples'), { recursive: true });
  copyFileSync(join(runs, 'a', 'samples', 'epoch-001.png'), join(runs, 'live', 'samples', 'epoch-001.png'));
  e = await stream.next('status');
  assert.deepEqual(e.data.samples, ['epoch-001.png']);
  writeFileSync(
    join(runs, 'live', 'status.json'),
    JSON.stringify({ state: 'finished', pid: process.pid, started: '', updated: '' }),
  );
  e = await stream.next('status');
  assert.equal(e.data.status, 'finished');
  stream.close();

  // From an offset (or an EventSource's Last-Event-ID) only later lines come.
  const offset = Buffer.byteLength(stepLine(1, 1) + stepLine(1, 2));
  for (const later of [
    openStream(`/api/runs/live/events?from=${offset}`),
    openStream('/api/runs/live/events', { 'Last-Event-ID': String(offset) }),
  ]) {
    e = await later.next('metrics');
    assert.deepEqual(
      e.data.lines.map((l: { step?: number }) => l.step),
      [3, 4],
    );
    later.close();
  }
});

test('event streams are capped and closed streams are cleaned up', async () => {
  await sleep(200); // the previous test's streams close
  const streams = Array.from({ length: 32 }, () => openStream('/api/runs/a/events'));
  await Promise.all(streams.map((s) => s.opened));
  assert.ok(streams.every((s) => s.status === 200));
  const refused = await get('/api/runs/a/events');
  assert.equal(refused.status, 503);
  for (const s of streams) s.close();
  await sleep(200);
  const again = openStream('/api/runs/a/events');
  await again.opened;
  assert.equal(again.status, 200);
  again.close();
});

test("the generator endpoints serve G's tensors (EMA or raw) from the checkpoint and nothing of D", async () => {
  for (const id of ['a', 'ema']) {
    const { tensors } = readCheckpoint(join(runs, id, 'checkpoint.bin'));
    const hasEma = id === 'ema';
    for (const weights of hasEma ? [undefined, 'ema', 'raw'] : [undefined, 'raw']) {
      const query = weights ? `?weights=${weights}` : '';
      const meta = await json(`/api/runs/${id}/generator${query}`);
      const prefix = (weights ?? (hasEma ? 'ema' : 'raw')) === 'ema' ? 'G_ema/' : 'G/';
      assert.equal(meta.weights, prefix === 'G_ema/' ? 'ema' : 'raw');
      assert.equal(meta.config.latentDim, 100);
      assert.equal(meta.config.ema, hasEma ? 0.9 : 0);
      const expected = [...tensors.keys()]
        .filter((n) => n.startsWith(prefix) && !/^G\/adam\./.test(n))
        .map((n) => n.slice(prefix.length));
      assert.deepEqual(
        meta.tensors.map((t: { name: string }) => t.name),
        expected,
      );
      assert.ok(expected.includes('dense/kernel') && expected.includes('bn0/running_mean'));
      const bin = await get(`/api/runs/${id}/generator.bin${query}`);
      assert.equal(bin.status, 200);
      assert.equal(bin.headers['content-type'], 'application/octet-stream');
      const data = new Float32Array(bin.body.buffer.slice(bin.body.byteOffset, bin.body.byteOffset + bin.body.length));
      let total = 0;
      for (const t of meta.tensors) {
        const stored = tensors.get(prefix + t.name)!;
        assert.deepEqual(t.shape, stored.shape);
        assert.equal(t.offset, total);
        assert.deepEqual(data.subarray(t.offset, t.offset + stored.data.length), stored.data, t.name);
        total += stored.data.length;
      }
      assert.equal(data.length, total);
    }
  }
  const ema = await json('/api/runs/ema/generator?weights=ema');
  const raw = await json('/api/runs/ema/generator?weights=raw');
  assert.deepEqual(ema.tensors, raw.tensors, 'G and G_ema: the same names and shapes');
  const statusOf = async (path: string) => (await get(path)).status;
  assert.equal(await statusOf('/api/runs/a/generator?weights=ema'), 404);
  assert.equal(await statusOf('/api/runs/a/generator?weights=both'), 400);
  assert.equal(await statusOf('/api/runs/dead/generator'), 404);
  assert.equal(await statusOf('/api/runs/dead/generator.bin'), 404);
  assert.equal(await statusOf('/api/runs/garbage-checkpoint/generator'), 422);
});

test('run files, the front end and tfjs wasm binaries come with the right content types', async () => {
  const cases: [string, string][] = [
    ['/api/runs', 'application/json'],
    ['/api/runs/a/metrics', 'application/json'],
    ['/api/runs/a/files/samples/epoch-001.png', 'image/png'],
    ['/api/runs/a/files/config.json', 'application/json'],
    ['/api/runs/a/files/metrics.jsonl', 'application/x-ndjson'],
    ['/api/runs/a/generator.bin', 'application/octet-stream'],
    ['/', 'text/html; charset=utf-8'],
    ['/assets/app.js', 'text/javascript; charset=utf-8'],
    ['/assets/app.css', 'text/css; charset=utf-8'],
    ['/tfjs-wasm/tfjs-backend-wasm.wasm', 'application/wasm'],
    ['/tfjs-wasm/tfjs-backend-wasm-simd.wasm', 'application/wasm'],
  ];
  for (const [path, type] of cases) {
    const r = await get(path);
    assert.equal(r.status, 200, path);
    assert.equal(r.headers['content-type'], type, path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
    assert.equal(Number(r.headers['content-length']), r.body.length, path);
  }
  assert.ok(
    (await get('/api/runs/a/files/samples/epoch-001.png')).body.equals(
      readFileSync(join(runs, 'a', 'samples', 'epoch-001.png')),
    ),
  );
  assert.equal((await get('/api/runs/a/files/metrics.jsonl')).headers['cache-control'], 'no-cache');
  const page = await get('/');
  assert.match(String(page.headers['content-security-policy']), /script-src 'self' 'wasm-unsafe-eval'/);
  assert.match(page.body.toString(), /assets\/app\.js/);
  // Only the files the studio serves, and errors are typed too.
  for (const path of [
    '/api/runs/a/files/checkpoint.bin',
    '/api/runs/a/files/status.json',
    '/api/runs/a/files/generator/model.json',
    '/tfjs-wasm/tf-backend-wasm.js',
    '/tfjs-wasm/nope.wasm',
    '/assets/missing.js',
    '/api/nothing',
  ]) {
    const r = await get(path);
    assert.equal(r.status, 404, path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
  }
  // HEAD: headers without a body.
  const head = await get('/api/runs/a/files/samples/epoch-001.png', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  // Without a built front end, / says so.
  const bare = await startStudio({ runsDir: runs, port: 0, webDir: join(dir, 'no-web') });
  try {
    const r = await get('/', { to: bare.port });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(r.body.toString(), /not built/);
  } finally {
    await bare.close();
  }
});

test('path traversal is refused in every encoding', async () => {
  const attacks = [
    '/api/runs/../../etc/passwd',
    '/api/runs/a/files/../../../etc/passwd',
    '/api/runs/a/files/../../secret.txt',
    '/api/runs/a/files/%2e%2e/%2e%2e/secret.txt',
    '/api/runs/a/files/%2E%2E/%2E%2E/secret.txt',
    '/api/runs/a/files/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/api/runs/a/files/..%2f..%2fsecret.txt',
    '/api/runs/a/files/.%2e/.%2e/secret.txt',
    '/api/runs/a/files/%252e%252e%252f%252e%252e%252fsecret.txt',
    '/api/runs/a/files/%252e%252e/%252e%252e/secret.txt',
    '/api/runs/a/files/..%5c..%5csecret.txt',
    '/api/runs/a/files/..\\..\\secret.txt',
    '/api/runs/a/files/%c0%ae%c0%ae/%c0%ae%c0%ae/secret.txt',
    '/api/runs/a/files/..%c0%af..%c0%afsecret.txt',
    '/api/runs/a/files/%e0%80%ae%e0%80%ae/%e0%80%ae%e0%80%ae/secret.txt',
    '/api/runs/a/files/%u002e%u002e/%u002e%u002e/secret.txt',
    '/api/runs/a/files/samples/..%2f..%2fconfig.json',
    '/api/runs/a/files/samples/../../../secret.txt',
    '/api/runs/a/files/config.json%00.png',
    '/api/runs/a/files/samples/epoch-001.png%00',
    '/api/runs/%2fetc%2fpasswd',
    '/api/runs/%2fetc/passwd',
    '/api/runs//etc/passwd',
    '/api/runs/a/files//etc/passwd',
    '/api/runs/%2e%2e/secret.txt',
    '/api/runs/../secret.txt/metrics',
    '/api/runs/a/files/samples/leak.png',
    '/api/runs/a/files/fid.png',
    '/api/runs/linked/files/config.json',
    '/api/runs/linked/files/metrics.jsonl',
    '/api/runs/linked/metrics',
    '/api/runs/linked/events',
    '/api/runs/linked-files/metrics',
    '/api/runs/linked-files/files/config.json',
    '/api/runs/linked-files/files/metrics.jsonl',
    '/api/runs/linked-files/files/samples/epoch-001.png',
    '/api/runs/notes.txt',
    '/assets/../../secret.txt',
    '/assets/../../package.json',
    '/assets/%2e%2e/%2e%2e/secret.txt',
    '/assets/..%2f..%2fsecret.txt',
    '/%2e%2e/secret.txt',
    '/../secret.txt',
    '/tfjs-wasm/../package.json',
    '/tfjs-wasm/..%2fpackage.json',
    '/tfjs-wasm/%2e%2e/package.json',
    '/tfjs-wasm/../../../package.json',
    'http://127.0.0.1/../secret.txt',
    '//etc/passwd',
  ];
  for (const path of attacks) {
    const r = await get(path);
    assert.ok([400, 403, 404].includes(r.status), `${path}: status ${r.status}`);
    const body = r.body.toString('latin1');
    for (const leak of [SECRET, 'root:', '"name": "gantry"', '"version"', '@tensorflow'])
      assert.ok(!body.includes(leak), `${path} leaked ${leak}`);
  }
});

test('only GET and HEAD without a body, short URLs and headers, and only requests to localhost', async () => {
  const post = await get('/api/runs', { method: 'POST', headers: { 'Content-Length': '0' } });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  for (const method of ['PUT', 'DELETE', 'OPTIONS', 'PATCH'])
    assert.equal((await get('/api/runs', { method })).status, 405, method);
  assert.equal((await get('/api/runs', { headers: { 'Content-Length': '5' }, body: 'hello' })).status, 413);
  assert.equal((await get('/api/runs', { headers: { 'Transfer-Encoding': 'chunked' }, body: 'hello' })).status, 413);
  assert.equal((await get(`/api/runs/${'x'.repeat(3000)}`)).status, 414);
  assert.equal((await get('/api/runs', { headers: { 'X-Big': 'y'.repeat(10_000) } })).status, 431);
  const rebinding = await get('/api/runs', { headers: { Host: 'evil.example:7860' } });
  assert.equal(rebinding.status, 403);
  assert.ok(!rebinding.body.toString().includes('"runs"'));
  assert.equal((await get('/api/runs', { headers: { Host: `localhost:${port}` } })).status, 200);
});

test('gantry studio: serves a runs folder, one-line errors, Ctrl-C stops it', async () => {
  const missing = gantry(['studio', '--runs', join(dir, 'missing')], dir);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /^gantry studio: error: runs folder .*missing does not exist/);
  assert.equal(missing.stderr.trim().split('\n').length, 1);
  const busy = gantry(['studio', '--runs', runs, '--port', String(port)], dir);
  assert.equal(busy.status, 2);
  assert.match(busy.stderr, /^gantry studio: error: port \d+ is in use/);
  const help = gantry(['studio', '--help'], dir);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--port <n>[\s\S]*Examples:/);

  const child = gantryAsync(['studio', '--runs', runs, '--port', '0'], dir);
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /^gantry studio: (http:\/\/127\.0\.0\.1:\d+\/) \(runs: (.*)\)\n/.exec(out);
      if (m) {
        assert.equal(m[2], runs);
        resolveUrl(m[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`studio exited with ${code}`)));
  });
  const list = await get('/api/runs', { to: Number(new URL(url).port) });
  assert.equal(list.status, 200);
  const code = await new Promise<number | null>((resolveExit) => {
    child.removeAllListeners('exit');
    child.on('exit', (c) => resolveExit(c));
    child.kill('SIGINT');
  });
  assert.equal(code, 0);
});
