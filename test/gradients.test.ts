import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { Rng } from '../src/util/random.js';

// Smooth activations whose tfjs gradient saves the kernel's output: the second derivative through them was lost
// (src/backend/gradients.ts). P(w) = Σ(∂D/∂x)², D(x) = Σ k·act(w·x): tape against a central finite difference.
const ACTIVATIONS: Record<string, (t: tf.Tensor) => tf.Tensor> = {
  tanh: tf.tanh,
  sigmoid: tf.sigmoid,
  exp: (t) => tf.exp(tf.mul(t, 0.3)),
  softmax: (t) => tf.softmax(t),
  elu: tf.elu,
};

for (const backend of ['cpu', 'wasm'] as const) {
  test(`second derivatives through tanh, sigmoid, exp, softmax and elu are right on ${backend}, first ones unchanged`, async () => {
    await useBackend(backend);
    const rng = new Rng(3);
    const x = tf.tensor2d(rng.normals(10), [2, 5]);
    const w = tf.variable(tf.tensor1d(rng.normals(5)));
    const k = tf.range(0, 5);
    for (const [name, act] of Object.entries(ACTIVATIONS)) {
      const D = (xi: tf.Tensor) => tf.sum(tf.mul(act(tf.mul(xi, w)), k));
      const P = (): tf.Scalar => tf.tidy(() => tf.sum(tf.square(tf.grad(D)(x))) as tf.Scalar);
      const { value, grads } = tf.variableGrads(P, [w]);
      const tape = grads[w.name].dataSync();
      const w0 = w.dataSync().slice();
      for (const i of [0, 3]) {
        const at = (h: number) => {
          w.assign(tf.tensor1d(w0.map((v, j) => (j === i ? v + h : v))));
          return P().dataSync()[0];
        };
        const fd = (at(1e-2) - at(-1e-2)) / 2e-2;
        w.assign(tf.tensor1d(w0));
        assert.ok(
          Math.abs(tape[i] - fd) <= 2e-3 * Math.max(1, Math.abs(fd)),
          `${name}: tape ${tape[i]}, finite difference ${fd}`,
        );
      }
      tf.dispose([value, ...Object.values(grads)]);
      // First derivative: act'(x) from the tape matches a finite difference of act itself.
      const [g, fd1] = tf.tidy(() => {
        const f = (t: tf.Tensor) => tf.sum(tf.mul(act(t), k));
        const e = tf.tensor2d([
          [1e-2, 0, 0, 0, 0],
          [0, 0, 0, 0, 0],
        ]);
        return [
          tf.grad(f)(x).dataSync(),
          (f(tf.add(x, e)).dataSync()[0] - f(tf.sub(x, e)).dataSync()[0]) / 2e-2,
        ] as const;
      });
      assert.ok(
        Math.abs(g[0] - fd1) <= 5e-3 * Math.max(1, Math.abs(fd1)),
        `${name} first derivative ${g[0]} vs ${fd1}`,
      );
    }
    tf.dispose([x, w, k]);
  });
}
