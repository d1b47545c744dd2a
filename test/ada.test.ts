/** Adaptive discriminator augmentation (src/train/ada.ts): the pipeline's ops, p's controller, and a resumed run. */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { parseSavedConfig, resolveConfig } from '../src/config.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { ADA_INTERVAL, ADA_OPS, type AdaState, adaAugment, adaObserve, adaOpsOf } from '../src/train/ada.js';
import { train } from '../src/train/loop.js';
import { r1Penalty } from '../src/train/penalties.js';
import type { TrainState } from '../src/train/state.js';
import { Rng } from '../src/util/random.js';
import { tempDir } from './helpers.js';

before(async () => {
  await useBackend('wasm');
});

const images = (n: number, side: number, channels: number, seed: number) =>
  tf.tensor4d(new Rng(seed).uniforms(n * side * side * channels, -1, 1), [n, side, side, channels]);

test('at p = 0 the pipeline returns its input itself, for gray and colour images', () => {
  for (const channels of [1, 3]) {
    const x = images(4, 16, channels, 1);
    assert.equal(adaAugment(x, 0, new Rng(2)), x);
    x.dispose();
  }
});

test('every op is differentiable: its gradient matches finite differences (gray and colour), and leaks nothing', () => {
  const before = tf.memory().numTensors;
  for (const channels of [1, 3]) {
    const x = images(4, 12, channels, 3);
    const w = images(4, 12, channels, 4);
    const d = images(4, 12, channels, 5);
    for (const op of ADA_OPS) {
      if (channels === 1 && (op === 'hue' || op === 'saturation')) continue;
      // The same draws for every evaluation: a fresh Rng with one seed.
      const loss = (input: tf.Tensor) =>
        tf.sum(tf.mul(adaAugment(input as tf.Tensor4D, 1, new Rng(7), [op]), w)) as tf.Scalar;
      const grad = tf.tidy(() => tf.grad(loss)(x));
      const analytic = tf.tidy(() => tf.sum(tf.mul(grad, d)).dataSync()[0]);
      const eps = 1e-2;
      const numeric = tf.tidy(
        () =>
          (loss(tf.add(x, tf.mul(d, eps))).dataSync()[0] - loss(tf.sub(x, tf.mul(d, eps))).dataSync()[0]) / (2 * eps),
      );
      assert.ok(Number.isFinite(analytic) && Math.abs(analytic) > 1e-3, `${op}: gradient ${analytic}`);
      assert.ok(
        Math.abs(analytic - numeric) < 1e-2 * Math.max(1, Math.abs(numeric)),
        `${op}: ${analytic} vs ${numeric}`,
      );
      // It changed something: every op at p = 1 moves at least one of four images.
      const moved = tf.tidy(() => tf.max(tf.abs(tf.sub(adaAugment(x, 1, new Rng(7), [op]), x))).dataSync()[0]);
      assert.ok(moved > 1e-3, `${op} at p = 1 left every image alone`);
      grad.dispose();
    }
    tf.dispose([x, w, d]);
  }
  assert.equal(tf.memory().numTensors, before);
});

test('the integer ops are exact: an x-flip mirrors or keeps each image, a 90° rotation gives one of the four turns', () => {
  const x = images(6, 8, 3, 8);
  const pixels = (t: tf.Tensor) => Array.from(t.dataSync());
  const flipped = adaAugment(x, 1, new Rng(9), ['xflip']);
  const turned = adaAugment(x, 1, new Rng(9), ['rotate90']);
  for (let i = 0; i < 6; i++) {
    const one = x.slice(i, 1);
    const f = pixels(flipped.slice(i, 1));
    assert.ok(
      [pixels(one), pixels(tf.reverse(one, 2))].some((v) => v.every((a, k) => Math.abs(a - f[k]) < 1e-6)),
      `image ${i}: flip`,
    );
    const r = pixels(turned.slice(i, 1));
    const turns = [0, 1, 2, 3].map((k) => {
      let t: tf.Tensor = one;
      for (let j = 0; j < k; j++) t = tf.reverse(tf.transpose(t, [0, 2, 1, 3]), 1);
      return pixels(t);
    });
    assert.ok(
      turns.some((v) => v.every((a, k) => Math.abs(a - r[k]) < 1e-5)),
      `image ${i}: a 90° turn`,
    );
  }
});

test('p follows the overfitting heuristic: up while E[sign D(real)] > target, down below it, within [0, 1], every 4 D steps', () => {
  const ada: AdaState = { p: 0, signSum: 0, count: 0 };
  // kimg 0.1: p moves by 1 in 100 images, so by 64/100 per interval of 4 steps of 16.
  const step = (dStep: number, sign: number) => adaObserve(ada, { sum: 16 * sign, count: 16 }, dStep, 0.6, 0.1);
  for (let s = 1; s < ADA_INTERVAL; s++) assert.equal(step(s, 1), null);
  assert.equal(ada.p, 0, 'no move before the interval ends');
  assert.equal(step(ADA_INTERVAL, 1), 1);
  assert.ok(Math.abs(ada.p - 0.64) < 1e-12, `p ${ada.p}`);
  for (let s = 5; s <= 8; s++) step(s, 1);
  assert.equal(ada.p, 1, 'clamped at 1');
  // r = 0.5 (half the logits positive) is under the target: p comes down.
  for (let s = 9; s <= 12; s++) adaObserve(ada, { sum: 0.5 * 16, count: 16 }, s, 0.6, 0.1);
  assert.ok(Math.abs(ada.p - 0.36) < 1e-12, `p ${ada.p}`);
  for (let s = 13; s <= 16; s++) step(s, -1);
  assert.equal(ada.p, 0, 'clamped at 0');
  // A data-parallel run sums over its processes: this one's logits all positive, a second one's all negative, so
  // r = 0 and p comes down (alone, r = 1 would push it up); kimg 1: by 128/1000.
  ada.p = 0.5;
  for (let s = 17; s <= 20; s++)
    adaObserve(ada, { sum: 16, count: 16 }, s, 0.6, 1, (v) => {
      v[0] += -16 * ADA_INTERVAL;
      v[1] += 16 * ADA_INTERVAL;
    });
  assert.ok(Math.abs(ada.p - (0.5 - 0.128)) < 1e-12, `p ${ada.p}`);
});

test('an --ada run stopped mid-epoch and resumed ends with the same weights, p and p history as one never stopped', async () => {
  const dir = tempDir();
  const config = resolveConfig({
    ada: true,
    adaKimg: 0.2,
    limit: 96,
    batchSize: 16,
    epochs: 2,
    backend: 'wasm',
    checkpointEvery: 3,
    sampleGridSize: 4,
  });
  const straight = join(dir, 'straight');
  assert.ok((await train({ runDir: straight, config })).completed);
  const resumed = join(dir, 'resumed');
  let steps = 0;
  assert.equal((await train({ runDir: resumed, config, shouldStop: () => ++steps === 9 })).completed, false);
  const stopped = readCheckpoint<TrainState>(join(resumed, 'checkpoint.bin')).state.ada!;
  assert.ok(stopped.p > 0, `p rose by itself before the stop (${stopped.p})`);
  assert.ok((await train({ runDir: resumed, resume: true })).completed);
  const a = readCheckpoint<TrainState>(join(straight, 'checkpoint.bin')),
    b = readCheckpoint<TrainState>(join(resumed, 'checkpoint.bin'));
  assert.deepEqual(b.state.ada, a.state.ada);
  for (const [name, t] of a.tensors) assert.deepEqual(Array.from(b.tensors.get(name)!.data), Array.from(t.data), name);
  const lines = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').replace(/"step_ms":[\d.]+,/g, '');
  assert.equal(lines(resumed), lines(straight));
  assert.match(lines(straight), /"ada_p":0\.\d+/);
});

test('--ada and --augment-p are refused for image-to-image runs', () => {
  assert.throws(
    () => resolveConfig({ task: 'superres', ada: true }),
    /--ada and --augment-p are for GANs from latent noise/,
  );
});

test('--ada-ops: groups expand to their ops, the default is every op, and a colour-only pipeline keeps the geometry', () => {
  assert.deepEqual(adaOpsOf(resolveConfig({ ada: true }).adaOps), [...ADA_OPS]);
  assert.deepEqual(adaOpsOf(resolveConfig({ ada: true, adaOps: 'geometric,lumaflip' }).adaOps), [
    ...ADA_OPS.slice(0, 7),
    'lumaflip',
  ]);
  assert.deepEqual(adaOpsOf('colour'), ['brightness', 'contrast', 'lumaflip', 'hue', 'saturation']);
  // The default names every op, so it draws exactly what the pipeline without `only` draws.
  const x = images(6, 8, 3, 11);
  const all = adaAugment(x, 0.7, new Rng(12));
  const named = adaAugment(x, 0.7, new Rng(12), adaOpsOf(resolveConfig({ ada: true }).adaOps));
  assert.deepEqual(Array.from(named.dataSync()), Array.from(all.dataSync()));
  // Colour ops alone move no pixel: each image's pixels keep their places, so a gray image's pixel order is kept.
  const gray = images(6, 8, 1, 13);
  const recoloured = adaAugment(gray, 1, new Rng(14), adaOpsOf('colour'));
  const before = gray.arraySync() as number[][][][];
  const after = recoloured.arraySync() as number[][][][];
  for (let i = 0; i < 6; i++) {
    // y = a·x + b per image: the same affine map on every pixel.
    const [x0, x1] = [before[i][0][0][0], before[i][0][1][0]];
    const a = (after[i][0][1][0] - after[i][0][0][0]) / (x1 - x0);
    const b = after[i][0][0][0] - a * x0;
    for (let y = 0; y < 8; y++)
      for (let xx = 0; xx < 8; xx++) assert.ok(Math.abs(after[i][y][xx][0] - (a * before[i][y][xx][0] + b)) < 1e-4);
  }
  tf.dispose([x, all, named, gray, recoloured]);
  // The stylegan2 preset's ADA leaves out the luma flip; a run saved before --ada-ops existed used every op.
  assert.ok(!adaOpsOf(resolveConfig({ preset: 'stylegan2' }).adaOps).includes('lumaflip'));
  const saved = { ...resolveConfig({ preset: 'stylegan2', ada: true }) } as Record<string, unknown>;
  delete saved.adaOps;
  assert.deepEqual(adaOpsOf(parseSavedConfig(saved, 'old run').adaOps), [...ADA_OPS]);
  assert.throws(() => resolveConfig({ ada: true, adaOps: 'none' }), /--ada-ops none/);
  assert.throws(() => resolveConfig({ ada: true, adaOps: 'hue,sepia' }), /adaOps must be none or a comma list/);
});

test('R1 through the pipeline (as with --ada): its gradient for the critic weights matches finite differences', () => {
  const before = tf.memory().numTensors;
  const x = images(3, 10, 3, 21);
  const w0 = tf.tidy(() => tf.mul(tf.tensor4d(new Rng(22).normals(3 * 3 * 3 * 4), [3, 3, 3, 4]), 0.3));
  const w = tf.variable(w0);
  const direction = tf.tidy(() => tf.mul(tf.tensor4d(new Rng(23).normals(3 * 3 * 3 * 4), [3, 3, 3, 4]), 0.01));
  // A twice-differentiable critic: softplus of one convolution, averaged per image.
  const critic = (input: tf.Tensor4D) =>
    tf.mean(tf.softplus(tf.conv2d(input, w as tf.Variable<tf.Rank.R4>, 1, 'same')), [1, 2, 3]);
  const penalty = () => r1Penalty((input) => critic(adaAugment(input, 1, new Rng(24))), x);
  const { value, grads } = tf.variableGrads(penalty, [w]);
  const tape = tf.tidy(() => tf.sum(tf.mul(grads[w.name], direction)).dataSync()[0]);
  const original = tf.clone(w);
  const at = (t: number) => {
    tf.tidy(() => w.assign(tf.add(original, tf.mul(direction, t))));
    return tf.tidy(() => penalty().dataSync()[0]);
  };
  const fd = (at(1) - at(-1)) / 2;
  assert.ok(Math.abs(tape) > 1e-6, `gradient ${tape}`);
  assert.ok(Math.abs(tape - fd) < 1e-2 * Math.abs(fd), `tape ${tape} vs finite difference ${fd}`);
  // Through the pipeline it is another penalty than on the plain images.
  const plain = tf.tidy(() => r1Penalty(critic, x).dataSync()[0]);
  assert.ok(Math.abs(plain - at(0)) > 1e-4 * plain, `${plain} vs ${at(0)}`);
  tf.dispose([x, w0, w, direction, value, original, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before);
});
