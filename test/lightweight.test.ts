/**
 * The lightweight (FastGAN) family: shapes at every size and channel count, skip-layer excitation as a per-channel
 * gate in (0, 1) driven by the low-resolution map, D's reconstruction loss falling when D trains on it alone, and the
 * preset's training steps (hinge, DiffAugment, spectral norm, EMA, the self-supervised term) without leaks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { networkSpec, resolveConfig } from '../src/config.js';
import { batchTensor, epochOrder } from '../src/data/dataset.js';
import { loadData } from '../src/data/index.js';
import { ParamStore } from '../src/networks/layers.js';
import {
  Excitation,
  excitationPairs,
  lightweightDiscriminator,
  lightweightGenerator,
} from '../src/networks/lightweight.js';
import type { NetworkSpec } from '../src/networks/network.js';
import { createGan, disposeGan } from '../src/train/gan.js';
import { latentSource } from '../src/train/sources.js';
import { trainStep } from '../src/train/step.js';
import { stepOptions } from '../src/train/wiring.js';
import { Rng } from '../src/util/random.js';
import { TEST_CACHE } from './helpers.js';

const spec = (imageSize: number, channels: number): NetworkSpec => ({
  latentDim: 32,
  imageSize,
  channels,
  numClasses: 0,
  conditioning: 'none',
  spectralNorm: 'd',
  attention: 0,
  minibatchStd: false,
  init: 'pytorch',
  gWidth: 8,
  dWidth: 8,
});

test('G and D have the shapes of every size and channel count; excitation joins maps 4–8× apart', async () => {
  await useBackend('auto');
  assert.deepEqual(excitationPairs(28), [[7, 28]]);
  assert.deepEqual(excitationPairs(32), [
    [4, 16],
    [4, 32],
  ]);
  assert.deepEqual(excitationPairs(64), [
    [4, 32],
    [8, 64],
  ]);
  assert.deepEqual(excitationPairs(256), [
    [16, 128],
    [32, 256],
  ]);
  for (const [size, channels] of [
    [28, 1],
    [32, 3],
    [64, 3],
    [128, 1],
  ] as const) {
    const s = spec(size, channels);
    const g = lightweightGenerator(s, 1),
      d = lightweightDiscriminator(s, 2);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const images = g.apply(tf.randomNormal([2, 32]), { training: true });
      assert.deepEqual(images.shape, [2, size, size, channels]);
      assert.deepEqual(d.apply(images, { training: true }).shape, [2, 1]);
      const { logits, loss } = d.selfSupervised(images, { training: true });
      assert.deepEqual(logits.shape, [2, 1]);
      assert.ok(loss.dataSync()[0] > 0, `${size}: a reconstruction loss`);
    });
    assert.equal(tf.memory().numTensors, before, `${size}: no leaks`);
    const sle = [...g.store.params.keys()].filter((n) => n.startsWith('sle'));
    assert.equal(sle.length, excitationPairs(size).length * 4, `${size}: ${sle}`);
    g.store.dispose();
    d.store.dispose();
  }
});

test('skip-layer excitation multiplies each channel of the high map by one gain in (0, 1) set by the low map', () => {
  const store = new ParamStore(new Rng(3));
  const se = new Excitation(store, 'sle', 8, 6, 5, {});
  tf.tidy(() => {
    const low = tf.randomNormal([3, 8, 8, 6], 0, 1, 'float32', 1) as tf.Tensor4D;
    const high = tf.add(tf.randomUniform([3, 32, 32, 5], 0, 1, 'float32', 2), 0.5) as tf.Tensor4D;
    const out = se.apply(low, high, { training: true });
    const ratio = tf.div(out, high);
    // One gain per (sample, channel): the same at every position.
    const spread = tf.sub(tf.max(ratio, [1, 2]), tf.min(ratio, [1, 2])).dataSync();
    assert.ok(Math.max(...spread) < 1e-5, `gains vary over positions by ${Math.max(...spread)}`);
    const gains = tf.mean(ratio, [1, 2]).dataSync();
    assert.ok(
      gains.every((v) => v > 0 && v < 1),
      `${gains}`,
    );
    // Another low map gives other gains; the high map does not move them.
    const other = se.apply(tf.mul(low, -1) as tf.Tensor4D, high, { training: true });
    const otherGains = tf.mean(tf.div(other, high), [1, 2]).dataSync();
    assert.ok(
      otherGains.some((v, i) => Math.abs(v - gains[i]) > 1e-3),
      'the low map drives the gate',
    );
    const scaled = se.apply(low, tf.mul(high, 2) as tf.Tensor4D, { training: true });
    assert.ok(tf.max(tf.abs(tf.sub(scaled, tf.mul(out, 2)))).dataSync()[0] < 1e-5, 'linear in the high map');
  });
  store.dispose();
});

test("D's reconstruction loss falls on a fixed batch of real emoji when D trains on it", async () => {
  await useBackend('auto');
  const config = resolveConfig({ preset: 'fastgan', dataset: 'emoji-twitter', limit: 32, dWidth: 8 });
  const data = await loadData(config, { cacheDir: TEST_CACHE });
  const d = lightweightDiscriminator({ ...networkSpec(config) }, 5);
  const real = batchTensor(data, epochOrder(data.count, 1, 1), 1, 8);
  const optimizer = tf.train.adam(2e-3, 0.5, 0.999);
  const vars = [...d.store.params.values()];
  const loss = () => d.selfSupervised(real, { training: true }).loss;
  const first = tf.tidy(() => loss().dataSync()[0]);
  tf.dispose(optimizer.minimize(loss, true, vars)!);
  // After the first step, which makes Adam's moment slots.
  const before = tf.memory().numTensors;
  for (let i = 0; i < 29; i++) tf.dispose(optimizer.minimize(loss, true, vars)!);
  const last = tf.tidy(() => loss().dataSync()[0]);
  assert.equal(tf.memory().numTensors, before, 'no leaks over the steps');
  assert.ok(last < 0.6 * first, `reconstruction loss ${first} → ${last}`);
  real.dispose();
  optimizer.dispose();
  d.store.dispose();
});

test('the fastgan preset trains as gantry train wires it: finite losses, the self-supervised term in D, a flat tensor count', async () => {
  await useBackend('auto');
  const config = resolveConfig({ preset: 'fastgan', batchSize: 8, seed: 2, gWidth: 8, dWidth: 8 });
  assert.deepEqual(
    [config.architecture, config.loss, config.spectralNorm, config.diffAugment, config.ema],
    ['lightweight', 'hinge', 'd', 'color,translation,cutout', 0.999],
  );
  const data = await loadData(config);
  const gan = createGan(config);
  const rng = new Rng(4);
  const options = stepOptions(gan, config, rng, () => 0);
  const source = latentSource(config);
  const order = epochOrder(data.count, config.seed, 1);
  // The self-supervised loss reaches D's loss: the same step with D's selfSupervised hidden loses less.
  let selfSupervisedSeen = 0;
  const d = gan.discriminator;
  const original = d.selfSupervised!.bind(d);
  d.selfSupervised = (x, mode, labels) => {
    const out = original(x, mode, labels);
    selfSupervisedSeen += out.loss.dataSync()[0];
    return out;
  };
  const counts: number[] = [];
  for (let step = 1; step <= 4; step++) {
    const real = batchTensor(data, order, step, 8);
    const batch = source.next(real, order, step, rng);
    const losses = trainStep(gan, gan.losses, real, batch.input, { ...options, ...batch.options });
    tf.dispose([real, ...batch.tensors]);
    assert.ok(Number.isFinite(losses.dLoss) && Number.isFinite(losses.gLoss), `step ${step}`);
    counts.push(tf.memory().numTensors);
  }
  assert.ok(selfSupervisedSeen > 0, 'D trained on its reconstruction loss');
  assert.ok(
    counts.slice(1).every((c) => c === counts[1]),
    `tensors per step ${counts}`,
  );
  disposeGan(gan);
});
