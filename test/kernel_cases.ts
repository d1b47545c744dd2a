/** The shape matrix and comparison helpers shared by the wasm and native kernel tests. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type BackendChoice, useBackend } from '../src/backend/index.js';
import { Rng } from '../src/util/random.js';

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
export interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  s: number;
  pad: Pad;
}

export const cases: Case[] = [
  { n: 2, h: 7, w: 7, ci: 3, co: 4, kh: 3, kw: 3, s: 1, pad: 'same' },
  { n: 2, h: 8, w: 8, ci: 3, co: 5, kh: 3, kw: 3, s: 2, pad: 'same' },
  { n: 1, h: 9, w: 6, ci: 2, co: 3, kh: 4, kw: 4, s: 2, pad: 'same' },
  { n: 3, h: 5, w: 7, ci: 4, co: 2, kh: 2, kw: 3, s: 1, pad: 'valid' },
  { n: 2, h: 11, w: 9, ci: 1, co: 6, kh: 5, kw: 5, s: 2, pad: 'valid' },
  { n: 1, h: 6, w: 6, ci: 5, co: 7, kh: 1, kw: 1, s: 1, pad: 'valid' },
  { n: 2, h: 7, w: 5, ci: 3, co: 3, kh: 1, kw: 1, s: 2, pad: 'same' },
  {
    n: 2,
    h: 28,
    w: 28,
    ci: 1,
    co: 8,
    kh: 3,
    kw: 3,
    s: 2,
    pad: [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
  },
  {
    n: 1,
    h: 13,
    w: 10,
    ci: 3,
    co: 4,
    kh: 3,
    kw: 2,
    s: 2,
    pad: [
      [0, 0],
      [2, 0],
      [1, 2],
      [0, 0],
    ],
  },
  { n: 2, h: 7, w: 7, ci: 6, co: 4, kh: 3, kw: 3, s: 2, pad: 1 },
  { n: 2, h: 14, w: 14, ci: 8, co: 16, kh: 4, kw: 4, s: 2, pad: 'same' },
  // The reference model's channel counts: oneDNN computes these in its blocked layouts.
  { n: 3, h: 7, w: 7, ci: 64, co: 128, kh: 3, kw: 3, s: 2, pad: 1 },
];

export function describe(c: Case): string {
  return `x ${c.n}x${c.h}x${c.w}x${c.ci}, k ${c.kh}x${c.kw}, ${c.ci}->${c.co}, stride ${c.s}, pad ${JSON.stringify(c.pad)}`;
}

/** Runs `f` on a backend and returns its outputs' values, leaving no tensors behind. */
export async function on(backend: BackendChoice, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend);
  const outs = f();
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return values;
}

export function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let scale = 1e-6;
  for (const v of expected) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < actual.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= 1e-4 * scale)) {
      assert.fail(`${what}: element ${i} is ${actual[i]}, cpu backend gives ${expected[i]}`);
    }
  }
}

/** Gradients of a conv2d (input and filter) and a conv2dTranspose (input and filter) with random upstream. */
export function convGradients(c: Case, seed: number): () => tf.Tensor[] {
  const rng = new Rng(seed);
  const xData = rng.normals(c.n * c.h * c.w * c.ci);
  const fData = rng.normals(c.kh * c.kw * c.ci * c.co);
  return () =>
    tf.tidy(() => {
      const x = tf.tensor4d(xData, [c.n, c.h, c.w, c.ci]);
      const f = tf.tensor4d(fData, [c.kh, c.kw, c.ci, c.co]);
      const y = tf.conv2d(x, f, c.s, c.pad as 'same');
      const dy = tf.tensor(new Rng(seed + 1).normals(y.size), y.shape);
      const [dx, df] = tf.grads((a, b) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.s, c.pad as 'same'), dy)),
      )([x, f]);
      // The transposed convolution maps y's shape back to x's; its filter is [kh, kw, out=ci, in=co].
      const t = tf.conv2dTranspose(y as tf.Tensor4D, f, x.shape, c.s, c.pad as 'same');
      const dt = tf.tensor(new Rng(seed + 2).normals(t.size), t.shape);
      const [dty, dtf] = tf.grads((a, b) =>
        tf.sum(tf.mul(tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, x.shape, c.s, c.pad as 'same'), dt)),
      )([y, f]);
      return [y, dx, df, t, dty, dtf];
    });
}

/** Convolutions and transposed convolutions with their gradients, on `backend` and on cpu, over the shape matrix. */
export async function assertConvolutionsMatchCpu(backend: BackendChoice): Promise<void> {
  const names = [
    'conv2d',
    'conv2d dx',
    'conv2d dfilter',
    'conv2dTranspose',
    'conv2dTranspose dx',
    'conv2dTranspose dfilter',
  ];
  for (const [i, c] of cases.entries()) {
    const f = convGradients(c, 100 + i);
    const expected = await on('cpu', f);
    const actual = await on(backend, f);
    names.forEach((name, j) => assertClose(actual[j], expected[j], `${name} (${describe(c)})`));
  }
}
