import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { classCrossEntropy, ganLoss, LOSS_NAMES } from '../src/losses.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const real = [2.5, -0.3, 0.8, -4];
const fake = [-1.2, 0.4, 3, -0.1];

/** Each loss written from its paper's definition, on probabilities or raw outputs, in float64. */
const REFERENCE: Record<string, { d: (r: number[], f: number[], s: number) => number; g: (f: number[]) => number }> = {
  bce: {
    d: (r, f, s) =>
      0.5 *
      (mean(r.map((x) => -(1 - s) * Math.log(sigmoid(x)) - s * Math.log(1 - sigmoid(x)))) +
        mean(f.map((x) => -Math.log(1 - sigmoid(x))))),
    g: (f) => mean(f.map((x) => -Math.log(sigmoid(x)))),
  },
  'bce-saturating': {
    d: (r, f, s) => REFERENCE.bce.d(r, f, s),
    g: (f) => mean(f.map((x) => Math.log(1 - sigmoid(x)))),
  },
  lsgan: {
    d: (r, f) => 0.5 * (mean(r.map((x) => (x - 1) ** 2)) + mean(f.map((x) => x ** 2))),
    g: (f) => 0.5 * mean(f.map((x) => (x - 1) ** 2)),
  },
  wgan: { d: (r, f) => mean(f) - mean(r), g: (f) => -mean(f) },
  hinge: {
    d: (r, f) => mean(r.map((x) => Math.max(0, 1 - x))) + mean(f.map((x) => Math.max(0, 1 + x))),
    g: (f) => -mean(f),
  },
};

test('every loss matches its definition, label smoothing included, and leaks no tensors', async () => {
  await useBackend('cpu');
  const before = tf.memory().numTensors;
  const r = tf.tensor2d(real, [4, 1]),
    f = tf.tensor2d(fake, [4, 1]);
  for (const name of LOSS_NAMES) {
    for (const smoothing of name.startsWith('bce') ? [0, 0.1] : [0]) {
      const loss = ganLoss(name, smoothing);
      const d = loss.discriminator(r, f),
        g = loss.generator(f);
      assert.ok(
        Math.abs(d.dataSync()[0] - REFERENCE[name].d(real, fake, smoothing)) < 1e-5,
        `${name} D (smoothing ${smoothing})`,
      );
      assert.ok(Math.abs(g.dataSync()[0] - REFERENCE[name].g(fake)) < 1e-5, `${name} G`);
      tf.dispose([d, g]);
    }
  }
  // ACGAN's auxiliary loss: −mean log softmax(logits)[label].
  const logits = [
    [2, 0, -1],
    [0.5, 0.5, 3],
  ];
  const classLogits = tf.tensor2d(logits),
    labels = tf.tensor1d([0, 2], 'int32');
  const ce = classCrossEntropy(classLogits, labels);
  const expected = mean(
    logits.map((row, i) => -Math.log(Math.exp(row[[0, 2][i]]) / row.reduce((a, b) => a + Math.exp(b), 0))),
  );
  assert.ok(Math.abs(ce.dataSync()[0] - expected) < 1e-5);
  tf.dispose([r, f, ce, classLogits, labels]);
  assert.equal(tf.memory().numTensors, before);
});

test('the saturating generator loss vanishes where D rejects fakes confidently; the non-saturating one does not', async () => {
  await useBackend('cpu');
  const gradAt = (name: 'bce' | 'bce-saturating', x: number) =>
    tf.tidy(
      () =>
        tf
          .grad((l) => ganLoss(name).generator(l))(tf.tensor1d([x]))
          .dataSync()[0],
    );
  assert.ok(Math.abs(gradAt('bce-saturating', -8)) < 1e-3);
  assert.ok(Math.abs(gradAt('bce', -8)) > 0.99);
});
