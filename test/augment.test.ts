import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { resolveConfig } from '../src/config.js';
import { diffAugment, instanceNoise } from '../src/train/augment.js';
import { standingStatistics, updateEma } from '../src/train/ema.js';
import { buildGenerator } from '../src/train/gan.js';
import { Rng } from '../src/util/random.js';

const N = 6,
  H = 16,
  W = 12;
/** Images with a distinct value at every pixel, so a shift can be read off exactly. */
const images = () =>
  tf.tensor4d(
    Float32Array.from({ length: N * H * W }, (_, i) => 1 + (i % (H * W)) / 1000 + Math.floor(i / (H * W))),
    [N, H, W, 1],
  );

test('translation shifts each image by at most 1/8 of its size and fills with zeros; cutout zeroes one square', async () => {
  await useBackend('wasm');
  const x = images();
  const src = x.dataSync();
  const shifted = diffAugment(x, 'translation', new Rng(1));
  const out = shifted.dataSync();
  const seen = new Set<string>();
  for (let n = 0; n < N; n++) {
    // Find the shift that explains this image.
    let found: [number, number] | null = null;
    for (let dy = -2; dy <= 2 && !found; dy++) {
      for (let dx = -2; dx <= 2 && !found; dx++) {
        let ok = true;
        for (let y = 0; y < H && ok; y++) {
          for (let xx = 0; xx < W && ok; xx++) {
            const sy = y - dy,
              sx = xx - dx;
            const expected = sy >= 0 && sy < H && sx >= 0 && sx < W ? src[(n * H + sy) * W + sx] : 0;
            ok = out[(n * H + y) * W + xx] === expected;
          }
        }
        if (ok) found = [dy, dx];
      }
    }
    assert.ok(found, `image ${n} is not a shift of its input by at most (2, 2)`);
    seen.add(found.join(','));
  }
  assert.ok(seen.size > 1, 'images get different shifts');

  const cut = diffAugment(x, 'cutout', new Rng(2)).dataSync();
  for (let n = 0; n < N; n++) {
    let zeros = 0;
    for (let i = 0; i < H * W; i++) {
      const v = cut[n * H * W + i];
      if (v === 0) zeros++;
      else assert.equal(v, src[n * H * W + i]);
    }
    assert.ok(zeros > 0 && zeros <= (H / 2) * (W / 2), `image ${n}: ${zeros} zeroed pixels`);
  }
  tf.dispose([x, shifted]);
});

test('DiffAugment is differentiable (G learns through it), repeatable for a seed, and leaks nothing', async () => {
  await useBackend('wasm');
  const x = images();
  const before = tf.memory().numTensors;
  const policies = 'color,translation,cutout';
  const a = tf.tidy(() => diffAugment(x, policies, new Rng(7)).dataSync());
  const b = tf.tidy(() => diffAugment(x, policies, new Rng(7)).dataSync());
  assert.deepEqual(a, b);
  const grad = tf.tidy(() =>
    tf
      .grad((t) => tf.sum(tf.square(diffAugment(t as tf.Tensor4D, policies, new Rng(7)))))(x)
      .dataSync(),
  );
  assert.ok(grad.some((g) => g !== 0));
  // Colour: per-image brightness and contrast, so images change by different amounts.
  const c = tf.tidy(() => diffAugment(x, 'color', new Rng(3)).dataSync());
  const meanShift = (n: number) => {
    let s = 0;
    for (let i = 0; i < H * W; i++) s += c[n * H * W + i] - x.dataSync()[n * H * W + i];
    return s / (H * W);
  };
  assert.notEqual(meanShift(0).toFixed(4), meanShift(1).toFixed(4));
  const noisy = tf.tidy(() => instanceNoise(x, 0.5, new Rng(4)).sub(x).dataSync() as Float32Array);
  const std = Math.sqrt(noisy.reduce((s, v) => s + v * v, 0) / noisy.length);
  assert.ok(Math.abs(std - 0.5) < 0.05, `instance noise σ ${std}`);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

test('the EMA generator follows β·ema + (1 − β)·θ and copies buffers', async () => {
  await useBackend('wasm');
  const config = resolveConfig({});
  const g = buildGenerator(config),
    ema = buildGenerator(config);
  const name = 'dense/bias';
  const theta = g.store.params.get(name)!;
  theta.assign(tf.add(theta, 1));
  g.store.buffers.get('bn0/running_mean')!.assign(tf.fill([128], 3));
  const before = ema.store.params.get(name)!.dataSync().slice();
  updateEma(ema, g, 0.9);
  const after = ema.store.params.get(name)!.dataSync();
  const now = theta.dataSync();
  for (let i = 0; i < after.length; i++) assert.ok(Math.abs(after[i] - (0.9 * before[i] + 0.1 * now[i])) < 1e-6);
  assert.deepEqual(Array.from(ema.store.buffers.get('bn0/running_mean')!.dataSync()), new Array(128).fill(3));
  // The ramp: at G step 5 the average keeps only (1 + 5)/(10 + 5) = 0.4 of itself.
  const ramped = buildGenerator(config);
  const start = ramped.store.params.get(name)!.dataSync().slice();
  updateEma(ramped, g, 0.999, 5);
  ramped.store.params
    .get(name)!
    .dataSync()
    .forEach((v, i) => assert.ok(Math.abs(v - (0.4 * start[i] + 0.6 * now[i])) < 1e-5));
  // Standing statistics: BatchNorm's running mean is measured for these weights, not kept from G.
  standingStatistics(ramped, config.latentDim, 0, 1);
  const measured = ramped.store.buffers.get('bn0/running_mean')!.dataSync();
  assert.ok(measured.every((v) => v !== 3) && measured.some((v) => Math.abs(v) > 1e-3));
  // ... as the plain average of the passes: 10 passes equal one pass over the same 640 noise vectors (bn0's input,
  // the dense layer's output, does not depend on the batch), whatever the buffers held before.
  ramped.store.buffers.get('bn0/running_mean')!.assign(tf.fill([128], -7));
  standingStatistics(ramped, config.latentDim, 0, 1);
  const tenPasses = ramped.store.buffers.get('bn0/running_mean')!.dataSync().slice();
  standingStatistics(ramped, config.latentDim, 0, 1, 1, 640);
  const onePass = ramped.store.buffers.get('bn0/running_mean')!.dataSync();
  tenPasses.forEach((v, i) => assert.ok(Math.abs(v - onePass[i]) < 1e-4, `channel ${i}: ${v} vs ${onePass[i]}`));
  g.store.dispose();
  ema.store.dispose();
  ramped.store.dispose();
});
