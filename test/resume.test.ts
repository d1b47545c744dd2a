import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveConfig } from '../src/config.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { train } from '../src/train/loop.js';
import type { TrainState } from '../src/train/state.js';
import { gantry, killAtFirstCheckpoint, tempDir } from './helpers.js';

const dir = tempDir();
const config = resolveConfig({
  limit: 96,
  batchSize: 32,
  epochs: 3,
  backend: 'wasm',
  checkpointEvery: 2,
  sampleGridSize: 4,
});

function assertSameRun(a: string, b: string): void {
  const ca = readCheckpoint<TrainState>(join(a, 'checkpoint.bin'));
  const cb = readCheckpoint<TrainState>(join(b, 'checkpoint.bin'));
  assert.equal(cb.state.globalStep, ca.state.globalStep);
  assert.deepEqual(cb.state.noiseRng, ca.state.noiseRng);
  assert.deepEqual([...cb.tensors.keys()], [...ca.tensors.keys()]);
  for (const [name, t] of ca.tensors) {
    assert.ok(
      Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(
        Buffer.from(cb.tensors.get(name)!.data.buffer, cb.tensors.get(name)!.data.byteOffset, t.data.byteLength),
      ),
      `${name} identical`,
    );
  }
  const losses = (d: string) =>
    readFileSync(join(d, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .map((m) => [m.global_step, m.d_loss, m.g_loss]);
  assert.deepEqual(losses(b), losses(a));
  assert.ok(readFileSync(join(a, 'generator/weights.bin')).equals(readFileSync(join(b, 'generator/weights.bin'))));
  assert.ok(readFileSync(join(a, 'samples/epoch-003.png')).equals(readFileSync(join(b, 'samples/epoch-003.png'))));
}

const reference = join(dir, 'reference');

test('an uninterrupted reference run', async () => {
  const r = await train({ runDir: reference, config });
  assert.equal(r.completed, true);
  assert.equal(r.globalStep, 9);
});

test('a run stopped mid-epoch and at an epoch end, then resumed, ends with the same weights', async () => {
  const run = join(dir, 'stopped');
  let steps = 0;
  const first = await train({ runDir: run, config, shouldStop: () => ++steps === 4 });
  assert.deepEqual([first.completed, first.globalStep], [false, 4]);
  steps = 0;
  const second = await train({ runDir: run, resume: true, shouldStop: () => ++steps === 2 }); // the last step of epoch 2
  assert.deepEqual([second.completed, second.globalStep], [false, 6]);
  const third = await train({ runDir: run, resume: true });
  assert.deepEqual([third.completed, third.globalStep], [true, 9]);
  assertSameRun(reference, run);
});

test('a training process killed with SIGKILL and resumed ends with the same weights', async () => {
  const run = join(dir, 'killed');
  const args = [
    'train',
    '--limit',
    '96',
    '--batch-size',
    '32',
    '--epochs',
    '3',
    '--backend',
    'wasm',
    '--checkpoint-every',
    '2',
    '--out',
    run,
  ];
  // The CLI's grid has the default size, so the killed run is compared with a CLI reference run.
  const cliReference = join(dir, 'cli-reference');
  assert.equal(
    gantry(
      args.map((a) => (a === run ? cliReference : a)),
      dir,
    ).status,
    0,
  );

  const killedAt = await killAtFirstCheckpoint(args, dir, run, (f) => readCheckpoint<TrainState>(f).state.globalStep);
  assert.ok(killedAt < 9, `killed before the end (checkpoint at step ${killedAt})`);
  const r = gantry(['train', '--resume', run], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resuming/);
  assertSameRun(cliReference, run);
});
