import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { Rng } from '../src/util/random.js';
import { assertClose, assertConvolutionsMatchCpu, cases, convGradients, on } from './kernel_cases.js';

test('wasm Conv2DBackpropInput and Conv2DBackpropFilter match the cpu backend', async () => {
  await assertConvolutionsMatchCpu('wasm');
});

test('wasm BatchMatMul with transposed operands, Sum over leading axes, Identity and Cast match the cpu backend', async () => {
  const rng = new Rng(11);
  const a = rng.normals(2 * 7 * 5),
    b = rng.normals(2 * 5 * 3),
    x = rng.normals(3 * 4 * 5 * 6);
  const f = () =>
    tf.tidy(() => {
      const out: tf.Tensor[] = [];
      const a3 = tf.tensor3d(a, [2, 7, 5]),
        b3 = tf.tensor3d(b, [2, 5, 3]);
      const aT = tf.transpose(a3, [0, 2, 1]),
        bT = tf.transpose(b3, [0, 2, 1]);
      out.push(
        tf.matMul(a3, b3),
        tf.matMul(aT, b3, true, false),
        tf.matMul(a3, bT, false, true),
        tf.matMul(aT, bT, true, true),
      );
      out.push(tf.matMul(tf.tensor2d(a, [14, 5]), tf.tensor2d(b.subarray(0, 15), [3, 5]), false, true));
      const x4 = tf.tensor4d(x, [3, 4, 5, 6]);
      out.push(tf.sum(x4, [0, 1, 2]), tf.sum(x4, [2, 0, 1], true), tf.sum(x4, [0, 1]), tf.sum(x4, 3), tf.sum(x4));
      out.push(
        tf.sum(tf.reshape(x4, [60, 6]), 0),
        tf.clone(x4),
        tf.cast(x4, 'float32'),
        tf.cast(tf.cast(x4, 'int32'), 'float32'),
        tf.cast(tf.greater(x4, 0), 'float32'),
      );
      return out;
    });
  const expected = await on('cpu', f);
  const actual = await on('wasm', f);
  expected.forEach((e, i) => assertClose(actual[i], e, `output ${i}`));
});

test('wasm Tile, Mean over leading axes and MaxPoolGrad match the cpu backend', async () => {
  const rng = new Rng(12);
  const x = rng.normals(2 * 5 * 7 * 3);
  // Ties: a window of equal values sends its gradient to the first one, as on the cpu backend.
  const ties = Float32Array.from(x, (v, i) => (i % 5 === 0 ? 0.5 : v));
  const f = () =>
    tf.tidy(() => {
      const out: tf.Tensor[] = [];
      const x4 = tf.tensor4d(x, [2, 5, 7, 3]);
      out.push(
        tf.tile(x4, [1, 1, 1, 1]),
        tf.tile(x4, [2, 1, 3, 2]),
        tf.tile(tf.tensor4d(x.subarray(0, 3), [1, 1, 1, 3]), [4, 2, 3, 1]),
      );
      out.push(
        tf.tile(tf.tensor1d(x.subarray(0, 4)), [3]),
        tf.tile(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), [2, 3]).toFloat(),
      );
      out.push(tf.mean(x4, [0, 1, 2]), tf.mean(x4, [0, 1, 2], true), tf.mean(x4, [1, 2]), tf.mean(x4));
      for (const [data, size, stride, pad] of [
        [x, 2, 2, 'valid'],
        [x, 3, 2, 'same'],
        [x, 3, 1, 'same'],
        [ties, 2, 1, 'valid'],
        [x, [2, 3], [1, 2], 0],
      ] as const) {
        const input = tf.tensor4d(data, [2, 5, 7, 3]);
        const y = tf.maxPool(input, size as [number, number], stride as [number, number], pad as 'same');
        const dy = tf.tensor(new Rng(13).normals(y.size), y.shape);
        out.push(
          y,
          tf.grad((a) =>
            tf.sum(
              tf.mul(
                tf.maxPool(a as tf.Tensor4D, size as [number, number], stride as [number, number], pad as 'same'),
                dy,
              ),
            ),
          )(input),
        );
      }
      return out;
    });
  const expected = await on('cpu', f);
  const actual = await on('wasm', f);
  expected.forEach((e, i) => assertClose(actual[i], e, `output ${i}`));
});

test('wasm UnsortedSegmentSum (the gradient of gather: embeddings, translations) matches the cpu backend', async () => {
  const x = new Rng(14).normals(6 * 4 * 3);
  const f = () =>
    tf.tidy(() => {
      const table = tf.tensor2d(x.subarray(0, 5 * 3), [5, 3]);
      const rows = tf.tensor1d([4, 0, 4, 2, 2, 2, 1], 'int32'); // repeats add up; row 3 gets nothing
      const dy = tf.tensor(new Rng(15).normals(7 * 3), [7, 3]);
      return [
        tf.unsortedSegmentSum(tf.tensor3d(x, [6, 4, 3]), tf.tensor1d([1, 0, 1, 3, -1, 1], 'int32'), 4),
        tf.grad((t) => tf.sum(tf.mul(tf.gather(t, rows), dy)))(table),
        tf.unsortedSegmentSum(tf.tensor1d([1, 2, 3, 4], 'int32'), tf.tensor1d([0, 1, 0, 1], 'int32'), 2).toFloat(),
      ];
    });
  const expected = await on('cpu', f);
  const actual = await on('wasm', f);
  expected.forEach((e, i) => assertClose(actual[i], e, `output ${i}`));
});

test('wasm training kernels leak neither tensors nor wasm memory', async () => {
  await useBackend('wasm');
  const c = cases[cases.length - 1];
  const conv = convGradients(c, 7);
  const x = new Rng(8).normals(2 * 6 * 6 * 4);
  const f = () => [
    ...conv(),
    ...tf.tidy(() => {
      const x4 = tf.tensor4d(x, [2, 6, 6, 4]);
      return [
        tf.tile(x4, [1, 2, 1, 3]),
        tf.mean(x4, [0, 1, 2]),
        tf.cast(x4, 'float32'),
        tf.grad((a) => tf.sum(tf.maxPool(a as tf.Tensor4D, 2, 2, 'same')))(x4),
      ];
    }),
  ];
  tf.dispose(f()); // warm up: the first call may grow the heap once
  const tensors = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array }; numDataIds(): number };
  const heapBytes = backend.wasm.HEAPU8.length;
  const dataIds = backend.numDataIds();
  for (let i = 0; i < 50; i++) tf.dispose(f());
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.memory().numBytes, bytes);
  assert.equal(backend.numDataIds(), dataIds);
  assert.equal(backend.wasm.HEAPU8.length, heapBytes);
});
