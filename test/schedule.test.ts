/**
 * --lr-decay: both learning rates hold, then fall linearly to zero over the run's last fraction — of its steps, or
 * of its time budget — and the optimisers really take the smaller steps; a stopped run resumes on the same schedule.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveConfig } from '../src/config.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { train } from '../src/train/loop.js';
import { lrFactor, runProgress } from '../src/train/schedule.js';
import type { TrainState } from '../src/train/state.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const base = { limit: 64, batchSize: 32, epochs: 2, backend: 'wasm', sampleGridSize: 4, lr: 2e-4 } as const;

const stepLines = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { global_step: number; d_loss?: number; lr?: number; eval?: unknown })
    .filter((l) => l.eval == null);

const weights = (run: string) => readCheckpoint<TrainState>(join(run, 'checkpoint.bin')).tensors;

test('the factor holds at 1, then falls linearly to 0 over the last fraction; progress is the further of steps and time', () => {
  assert.deepEqual(
    [0, 0.25, 0.5, 0.75, 1].map((p) => lrFactor(0.5, p)),
    [1, 1, 1, 0.5, 0],
  );
  assert.equal(lrFactor(0, 0.99), 1);
  assert.equal(runProgress(10, 100, 30, 60), 0.5, 'a budget half spent');
  assert.equal(runProgress(80, 100, 30, 60), 0.8);
  assert.equal(runProgress(10, 100, 30, 0), 0.1, 'no budget');
});

test('--lr-decay 0.5 over 4 steps: the last step at half the rate, and only it differs from a constant-rate run', async () => {
  const constant = join(dir, 'constant');
  const decayed = join(dir, 'decayed');
  await train({ runDir: constant, config: resolveConfig(base) });
  await train({ runDir: decayed, config: resolveConfig({ ...base, lrDecay: 0.5 }) });
  const lines = stepLines(decayed);
  assert.deepEqual(
    lines.map((l) => l.lr),
    [2e-4, 2e-4, 2e-4, 1e-4],
  );
  assert.equal(stepLines(constant)[0].lr, undefined, 'no lr logged without decay');
  // The same updates until the last one, which is smaller: the losses agree (each is measured before its update)
  // and the weights differ.
  assert.deepEqual(
    lines.map((l) => l.d_loss),
    stepLines(constant).map((l) => l.d_loss),
  );
  const a = weights(constant);
  const b = weights(decayed);
  const moved = (name: string) => {
    const x = a.get(name)?.data as Float32Array;
    const y = b.get(name)?.data as Float32Array;
    return x.some((v, i) => v !== y[i]);
  };
  assert.ok(
    [...a.keys()].some((k) => k.startsWith('G/') && moved(k)),
    "G's last update was smaller",
  );
  assert.ok(
    [...a.keys()].some((k) => k.startsWith('D/') && moved(k)),
    "D's last update was smaller",
  );
});

test('a decaying run stopped mid-way and resumed ends with the weights of an uninterrupted one', async () => {
  const config = resolveConfig({ ...base, epochs: 3, lrDecay: 1 });
  const whole = join(dir, 'whole');
  await train({ runDir: whole, config });
  const parts = join(dir, 'parts');
  let steps = 0;
  const first = await train({ runDir: parts, config, shouldStop: () => ++steps === 3 });
  assert.equal(first.completed, false);
  await train({ runDir: parts, resume: true });
  const a = weights(whole);
  const b = weights(parts);
  for (const [name, t] of a) assert.deepEqual(b.get(name)?.data, t.data, name);
  const rates = stepLines(parts).map((l) => l.lr as number);
  const expected = [1, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6].map((f) => 2e-4 * f);
  assert.equal(rates.length, expected.length);
  rates.forEach((r, i) => assert.ok(Math.abs(r - expected[i]) < 1e-12, `step ${i + 1}: ${r}`));
});

test('on a time budget the rate falls with the clock', async () => {
  const run = join(dir, 'budget');
  await train({
    runDir: run,
    config: resolveConfig({ ...base, limit: 640, epochs: 1000, timeBudget: 3 / 60, lrDecay: 1 }),
  });
  const rates = stepLines(run).map((l) => l.lr as number);
  assert.ok(rates.length > 4, `${rates.length} steps`);
  assert.equal(rates[0], 2e-4);
  assert.ok(
    rates.every((r, i) => i === 0 || r <= rates[i - 1]),
    'never rises',
  );
  assert.ok(rates[rates.length - 1] < 0.5e-4, `ends near 0: ${rates[rates.length - 1]}`);
});
