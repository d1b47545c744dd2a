import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { Adam } from '../src/train/adam.js';
import { ADAM_KERNEL } from '../src/util/kernel_names.js';
import { Rng } from '../src/util/random.js';

test("Adam follows PyTorch's update rule (checked in float64) and its state restores exactly", async () => {
  await useBackend('wasm');
  const options = { lr: 0.01, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 };
  const adam = new Adam(options);
  const p = tf.variable(tf.tensor1d([0.5, -1, 2]));
  const grads = [
    [0.1, -0.2, 0.3],
    [0.05, 0.4, -0.1],
    [-0.3, 0.1, 0.2],
  ];
  const ref = { p: [0.5, -1, 2], m: [0, 0, 0], v: [0, 0, 0] };
  for (const [t, g] of grads.entries()) {
    tf.tidy(() => adam.applyGradients({ [p.name]: tf.tensor1d(g) }));
    for (let i = 0; i < 3; i++) {
      ref.m[i] = options.beta1 * ref.m[i] + (1 - options.beta1) * g[i];
      ref.v[i] = options.beta2 * ref.v[i] + (1 - options.beta2) * g[i] ** 2;
      const denom = Math.sqrt(ref.v[i]) / Math.sqrt(1 - options.beta2 ** (t + 1)) + options.epsilon;
      ref.p[i] -= (options.lr / (1 - options.beta1 ** (t + 1))) * (ref.m[i] / denom);
    }
  }
  Array.from(p.dataSync()).forEach((v, i) =>
    assert.ok(Math.abs(v - ref.p[i]) < 1e-6, `p[${i}] = ${v}, expected ${ref.p[i]}`),
  );
  const [m, v] = adam.state([p]);
  Array.from(m.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - ref.m[i]) < 1e-7));
  Array.from(v.dataSync()).forEach((x, i) => assert.ok(Math.abs(x - ref.v[i]) < 1e-7));
  assert.equal(adam.step, 3);
  adam.dispose();
  p.dispose();
});

test("the native backend's one-pass Adam gives the bits of tfjs's ops", async () => {
  await useBackend('native');
  const config = tf.getKernel(ADAM_KERNEL, 'wasm');
  assert.ok(config != null, 'registered with the oneDNN addon');
  const rng = new Rng(5);
  const shape: [number, number] = [257, 33];
  const start = rng.normals(shape[0] * shape[1]);
  // Gradients of every scale, zeros and rounding-level ones among them (where Adam is most sensitive).
  const grads = [0, 1, 2, 3].map(() =>
    rng.normals(start.length).map((x, i) => (i % 7 === 0 ? 0 : x * 10 ** ((i % 13) - 9))),
  );
  const run = () => {
    const adam = new Adam({ lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 });
    const p = tf.variable(tf.tensor2d(start, shape));
    const before = tf.memory().numTensors;
    for (const g of grads) tf.tidy(() => adam.applyGradients({ [p.name]: tf.tensor2d(g, shape) }));
    const out = [p, ...adam.state([p])].map((t) => Array.from(t.dataSync()));
    assert.equal(tf.memory().numTensors, before + 2, 'no tensors leak (the two moment slots are new)');
    adam.dispose();
    p.dispose();
    return out;
  };
  const fused = run();
  // The update did go through the one-pass kernel.
  const probe = tf.variable(tf.zeros([4]));
  const adam = new Adam({ lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  const profile = await tf.profile(() => adam.applyGradients({ [probe.name]: tf.ones([4]) }));
  assert.ok(profile.kernelNames.includes(ADAM_KERNEL), `kernels: ${profile.kernelNames}`);
  adam.dispose();
  probe.dispose();
  tf.unregisterKernel(ADAM_KERNEL, 'wasm');
  try {
    const plain = run();
    for (const [k, name] of ['p', 'm', 'v'].entries()) assert.deepEqual(fused[k], plain[k], name);
  } finally {
    tf.registerKernel(config);
  }
});
