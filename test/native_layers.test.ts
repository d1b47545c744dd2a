import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { BatchNorm, leakyRelu, ParamStore } from '../src/networks/layers.js';
import {
  BATCH_NORM_GRAD_KERNEL,
  BATCH_NORM_KERNEL,
  LEAKY_RELU_KERNEL,
  LEAKY_RELU_SLOPE_KERNEL,
} from '../src/util/kernel_names.js';
import { Rng } from '../src/util/random.js';

/** One training pass of a fresh BatchNorm: its output, the gradients of Σ y·dy and the running statistics. */
function pass(shape: number[], x: Float32Array, dy: Float32Array, gammaBeta: Float32Array): Float32Array[] {
  const c = shape[shape.length - 1];
  const store = new ParamStore(new Rng(1));
  const bn = new BatchNorm(store, 'bn', c);
  bn.gamma.assign(tf.tensor1d(gammaBeta.subarray(0, c)));
  bn.beta.assign(tf.tensor1d(gammaBeta.subarray(c)));
  const input = tf.variable(tf.tensor(x, shape));
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => {
    let y: tf.Tensor | null = null;
    const { grads } = tf.variableGrads(() => {
      y = tf.keep(bn.apply(input, { training: true }));
      return tf.sum(tf.mul(y, tf.tensor(dy, shape)));
    }, [input, bn.gamma, bn.beta]);
    return [y!, grads[input.name], grads[bn.gamma.name], grads[bn.beta.name]];
  });
  const values = [...out, bn.runningMean, bn.runningVar].map((t) => t.dataSync() as Float32Array);
  tf.dispose(out);
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  input.dispose();
  store.dispose();
  return values;
}

test("the native backend's BatchNorm kernels match tfjs's ops: output, gradients, running statistics", async () => {
  await useBackend('native');
  const forward = tf.getKernel(BATCH_NORM_KERNEL, 'wasm');
  const backward = tf.getKernel(BATCH_NORM_GRAD_KERNEL, 'wasm');
  assert.ok(forward != null && backward != null, 'registered with the oneDNN addon');
  const rng = new Rng(3);
  // Batches that are not a multiple of the kernel's 64-row blocks, channels off the vector width, a large mean
  // (the two-pass variance must not lose it) and a dense layer's 2-D input.
  const cases = [
    [8, 5, 5, 24],
    [3, 7, 7, 13],
    [130, 40],
  ];
  for (const shape of cases) {
    const size = shape.reduce((a, b) => a * b, 1);
    const c = shape[shape.length - 1];
    const x = rng.normals(size).map((v, i) => 3 + (1 + (i % c) / c) * v);
    const dy = rng.normals(size);
    const gammaBeta = rng.normals(2 * c);
    const profile = await tf.profile(() => pass(shape, x, dy, gammaBeta));
    assert.ok(profile.kernelNames.includes(BATCH_NORM_KERNEL), `kernels: ${profile.kernelNames}`);
    assert.ok(profile.kernelNames.includes(BATCH_NORM_GRAD_KERNEL), `kernels: ${profile.kernelNames}`);
    const native = pass(shape, x, dy, gammaBeta);
    tf.unregisterKernel(BATCH_NORM_KERNEL, 'wasm');
    tf.unregisterKernel(BATCH_NORM_GRAD_KERNEL, 'wasm');
    let plain: Float32Array[];
    try {
      plain = pass(shape, x, dy, gammaBeta);
    } finally {
      tf.registerKernel(forward);
      tf.registerKernel(backward);
    }
    for (const [k, name] of ['y', 'dx', 'dgamma', 'dbeta', 'running mean', 'running var'].entries()) {
      const scale = Math.max(1, ...plain[k].map(Math.abs));
      const worst = Math.max(...native[k].map((v, i) => Math.abs(v - plain[k][i])));
      assert.ok(worst <= 2e-5 * scale, `[${shape}] ${name}: differs by ${worst} (scale ${scale})`);
    }
  }
});

test("the native backend's LeakyReLU gives the bits of tfjs's ops, its gradient and its gradient's gradient", async () => {
  await useBackend('native');
  const kernels = [LEAKY_RELU_KERNEL, LEAKY_RELU_SLOPE_KERNEL].map((k) => tf.getKernel(k, 'wasm'));
  assert.ok(
    kernels.every((k) => k != null),
    'registered with the oneDNN addon',
  );
  const rng = new Rng(4);
  const shape = [6, 5, 5, 7];
  // Zeros among the values: both forms give 0 there, and a zero derivative.
  const x = rng.normals(6 * 5 * 5 * 7).map((v, i) => (i % 11 === 0 ? 0 : v));
  const w = rng.normals(x.length);
  // What R1 and the gradient penalty do: a gradient inside a loss whose gradient is taken again.
  const run = (): number[][] => {
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const input = tf.tensor(x, shape);
      const weight = tf.tensor(w, shape);
      const f = (t: tf.Tensor) => tf.sum(tf.mul(leakyRelu(tf.mul(t, weight), 0.2), weight));
      const y = leakyRelu(input, 0.2);
      const dx = tf.grad(f)(input);
      const ddx = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.grad(f)(t))))(input);
      const dWeight = tf.grad((v: tf.Tensor) =>
        tf.sum(tf.square(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(leakyRelu(tf.mul(t, v), 0.2), v)))(input))),
      )(weight);
      return [y, dx, ddx, dWeight];
    });
    const values = out.map((t) => Array.from(t.dataSync()));
    tf.dispose(out);
    assert.equal(tf.memory().numTensors, before, 'no tensors leak');
    return values;
  };
  const profile = await tf.profile(() => run());
  assert.ok(profile.kernelNames.includes(LEAKY_RELU_KERNEL), `kernels: ${profile.kernelNames}`);
  assert.ok(profile.kernelNames.includes(LEAKY_RELU_SLOPE_KERNEL), `kernels: ${profile.kernelNames}`);
  const native = run();
  for (const k of [LEAKY_RELU_KERNEL, LEAKY_RELU_SLOPE_KERNEL]) tf.unregisterKernel(k, 'wasm');
  let plain: number[][];
  try {
    plain = run();
  } finally {
    for (const k of kernels) tf.registerKernel(k!);
  }
  for (const [k, name] of ['y', 'dx', 'd|dx|²/dx', 'd|dx|²/dweight'].entries())
    assert.deepEqual(native[k], plain[k], name);
  assert.ok(
    plain[3].some((v) => v !== 0),
    'the second-order gradient is not trivially zero',
  );
});
