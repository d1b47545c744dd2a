import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inflateSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { batchLabels, batchTensor, epochOrder, limitDataset, stepsPerEpoch } from '../src/data/dataset.js';
import { loadBundledMnist } from '../src/data/mnist.js';
import { encodePng } from '../src/io/png.js';
import { tileImages, toBytes } from '../src/util/pixels.js';

test('the bundled MNIST set: 10,000 real digits, classes balanced under --limit', () => {
  const data = loadBundledMnist();
  assert.equal(data.count, 10000);
  assert.equal(data.images.length, 10000 * 784);
  const limited = limitDataset(data, 6400);
  const perClass = new Array(10).fill(0);
  for (const l of limited.labels!) perClass[l]++;
  assert.ok(
    perClass.every((n) => n === 640),
    `640 of each digit, got ${perClass}`,
  );
  // Real digits: mostly black background, a stroke of bright pixels.
  let bright = 0;
  for (let i = 0; i < 784; i++) bright += data.images[i] > 128 ? 1 : 0;
  assert.ok(bright > 40 && bright < 400, `a digit has ${bright} bright pixels`);
});

test('epoch order is a seeded permutation; batches are [−1, 1] and the last one is partial', async () => {
  await useBackend('wasm');
  const data = limitDataset(loadBundledMnist(), 100);
  const a = epochOrder(100, 7, 1);
  assert.deepEqual(Array.from(a), Array.from(epochOrder(100, 7, 1)));
  assert.notDeepEqual(Array.from(a), Array.from(epochOrder(100, 7, 2)));
  assert.deepEqual(
    Array.from(a).sort((x, y) => x - y),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert.equal(stepsPerEpoch(100, 32), 4);
  const last = batchTensor(data, a, 4, 32);
  assert.deepEqual(last.shape, [4, 28, 28, 1]);
  const first = batchTensor(data, a, 1, 32);
  const [min, max] = [tf.min(first).dataSync()[0], tf.max(first).dataSync()[0]];
  assert.equal(min, -1);
  assert.equal(max, 1);
  // Labels follow the same order; with --mirror, indices from count up are flipped copies with the same label.
  const labels = batchLabels(data, a, 1, 32)!;
  assert.deepEqual(
    Array.from(labels.dataSync()),
    Array.from(a.subarray(0, 32)).map((i) => data.labels![i]),
  );
  const mirrored = Int32Array.from([3, 103]);
  const pair = batchTensor(data, mirrored, 1, 2);
  const [img, flipped] = tf.split(pair, 2);
  const diff = tf.max(tf.abs(tf.sub(tf.reverse(img, 2), flipped))).dataSync()[0];
  assert.equal(diff, 0, 'index count + i is image i flipped left-right');
  assert.deepEqual(Array.from(batchLabels(data, mirrored, 1, 2)!.dataSync()), [data.labels![3], data.labels![3]]);
  tf.dispose([first, last, labels, pair, img, flipped]);
});

test('PNG encoding stores the exact pixels (decoded here with zlib)', () => {
  const bytes = toBytes(new Float32Array([-1, -0.5, 0, 0.5, 1, 2]));
  assert.deepEqual(Array.from(bytes), [0, 64, 128, 191, 255, 255]);
  const grid = tileImages(new Uint8Array([10, 20, 30, 40, 50, 60, 70, 80]), 2, 2, 2, 1, 2, 1);
  assert.deepEqual([grid.width, grid.height], [7, 4]);
  const png = encodePng(grid.width, grid.height, 1, grid.pixels);
  assert.deepEqual(Array.from(png.subarray(0, 8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const idatStart = png.indexOf('IDAT') + 4;
  const idatLength = png.readUInt32BE(idatStart - 8);
  const raw = inflateSync(png.subarray(idatStart, idatStart + idatLength));
  const rows = Array.from({ length: 4 }, (_, y) => Array.from(raw.subarray(y * 8 + 1, y * 8 + 8)));
  assert.deepEqual(rows, [
    [0, 0, 0, 0, 0, 0, 0],
    [0, 10, 20, 0, 50, 60, 0],
    [0, 30, 40, 0, 70, 80, 0],
    [0, 0, 0, 0, 0, 0, 0],
  ]);
  assert.ok(png.equals(encodePng(grid.width, grid.height, 1, grid.pixels)), 'deterministic');
});

test('--subset spread takes every k-th image (all parts of an ordered set), --subset first the first N', () => {
  // 100 images sorted by class, 10 of each, each image's pixels its index.
  const data = {
    name: 'sorted',
    classNames: null,
    count: 100,
    height: 2,
    width: 2,
    channels: 1,
    images: Uint8Array.from({ length: 400 }, (_, i) => Math.floor(i / 4)),
    labels: Uint8Array.from({ length: 100 }, (_, i) => Math.floor(i / 10)),
    keys: Array.from({ length: 100 }, (_, i) => `img${i}.png`),
  };
  const first = limitDataset(data, 20, 'first');
  assert.deepEqual([...new Set(first.labels)], [0, 1]);
  const spread = limitDataset(data, 20, 'spread');
  assert.equal(spread.count, 20);
  assert.deepEqual(Array.from(spread.labels!), [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9]);
  assert.deepEqual(spread.keys!.slice(0, 3), ['img0.png', 'img5.png', 'img10.png']);
  // Each picked image keeps its own pixels.
  assert.deepEqual(Array.from(spread.images.subarray(4, 8)), [5, 5, 5, 5]);
  assert.equal(limitDataset(data, 100, 'spread'), data, 'a limit as large as the set keeps the set');
});
