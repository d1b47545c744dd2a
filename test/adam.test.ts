import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { Adam } from '../src/train/adam.js';

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
