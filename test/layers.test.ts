import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { BatchNorm, leakyRelu, ParamStore } from '../src/networks/layers.js';
import { Rng } from '../src/util/random.js';

function maxDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

/** BatchNorm written with plain ops, differentiated by the tape: the reference for the hand-written gradient. */
function referenceBatchNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}

for (const backend of ['cpu', 'wasm'] as const) {
  test(`BatchNorm forward, gradients and running statistics match the reference (${backend})`, async () => {
    await useBackend(backend);
    tf.engine().startScope();
    const store = new ParamStore(new Rng(1));
    const bn = new BatchNorm(store, 'bn', 3);
    const rng = new Rng(5);
    tf.tidy(() => {
      bn.gamma.assign(tf.tensor1d([1.5, -0.5, 2]));
      bn.beta.assign(tf.tensor1d([0.1, 0.2, -0.3]));
    });
    const x = tf.tensor4d(rng.normals(4 * 5 * 5 * 3), [4, 5, 5, 3]);
    const w = tf.tensor4d(rng.normals(4 * 5 * 5 * 3), [4, 5, 5, 3]);
    // A non-linear loss so that every gradient term matters.
    const loss = (y: tf.Tensor) => tf.sum(tf.mul(tf.square(y), w));
    const [dxRef, dgRef, dbRef] = tf.grads((a, g, b) => loss(referenceBatchNorm(a, g, b)))([x, bn.gamma, bn.beta]);
    const dx = tf.grad((a) => loss(bn.apply(a, { training: true, updateStats: false })))(x);
    const { grads } = tf.variableGrads(
      () => loss(bn.apply(x, { training: true, updateStats: false })) as tf.Scalar,
      [bn.gamma, bn.beta],
    );
    const y = bn.apply(x, { training: true });
    assert.ok(maxDiff(y, referenceBatchNorm(x, bn.gamma, bn.beta)) < 1e-5);
    assert.ok(maxDiff(dx, dxRef) < 1e-4 * tf.max(tf.abs(dxRef)).dataSync()[0]);
    assert.ok(maxDiff(grads[bn.gamma.name], dgRef) < 1e-4);
    assert.ok(maxDiff(grads[bn.beta.name], dbRef) < 1e-4);
    // PyTorch's running statistics: momentum 0.1, unbiased variance.
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    assert.ok(maxDiff(bn.runningMean, tf.mul(mean, 0.1)) < 1e-6);
    assert.ok(maxDiff(bn.runningVar, tf.add(0.9, tf.mul(tf.mul(variance, 100 / 99), 0.1))) < 1e-6);
    // Inference uses the running statistics.
    const inference = bn.apply(x, { training: false });
    const expected = tf.add(
      tf.mul(tf.div(tf.sub(x, bn.runningMean), tf.sqrt(tf.add(bn.runningVar, 1e-5))), bn.gamma),
      bn.beta,
    );
    assert.ok(maxDiff(inference, expected) < 1e-5);
    // A training pass and its gradient leave no tensors behind.
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const r = tf.variableGrads(() => loss(bn.apply(x, { training: true })) as tf.Scalar, [bn.gamma, bn.beta]);
      tf.dispose([r.value, ...Object.values(r.grads)]);
    }
    assert.equal(tf.memory().numTensors, before);
    store.dispose();
    tf.engine().endScope();
  });
}

test('leakyRelu equals tfjs leakyRelu, with the same gradient and a second-order gradient', async () => {
  await useBackend('wasm');
  const x = tf.tensor1d([-3, -0.5, -1e-3, 0.2, 4]);
  assert.ok(maxDiff(leakyRelu(x, 0.2), tf.leakyRelu(x, 0.2)) < 1e-7);
  const g = tf.grad((a) => tf.sum(tf.mul(leakyRelu(a, 0.2), a)))(x);
  const gRef = tf.grad((a) => tf.sum(tf.mul(tf.leakyRelu(a, 0.2), a)))(x);
  assert.ok(maxDiff(g, gRef) < 1e-6);
  // d/dx of the gradient of sum(leakyRelu(x)²) is 2·slope², which needs leakyRelu's gradient to be differentiable.
  const second = tf.grad((a) => tf.sum(tf.grad((b) => tf.sum(tf.square(leakyRelu(b, 0.2))))(a)))(x);
  assert.deepEqual(
    Array.from(second.dataSync()).map((v) => Math.round(v * 1000) / 1000),
    [0.08, 0.08, 0.08, 2, 2],
  );
});
