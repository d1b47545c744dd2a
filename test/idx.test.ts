import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DataError } from '../src/data/errors.js';
import { encodeIdx, readIdx } from '../src/data/idx.js';
import { loadIdxFolder } from '../src/data/idx_sets.js';
import { loadData } from '../src/data/index.js';
import { gantry, tempDir } from './helpers.js';

const dir = tempDir();

function idxFolder(name: string, images: Uint8Array, labels: Uint8Array, gzip = false): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const ext = gzip ? '.gz' : '';
  const pack = (b: Uint8Array) => (gzip ? gzipSync(b) : b);
  writeFileSync(join(folder, `train-images-idx3-ubyte${ext}`), pack(images));
  writeFileSync(join(folder, `train-labels-idx1-ubyte${ext}`), pack(labels));
  return folder;
}

const pixels = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => i);
const goodImages = encodeIdx([5, 4, 3], pixels);
const goodLabels = encodeIdx([5], Uint8Array.from([0, 1, 2, 1, 0]));

test('IDX folders, raw and gzip, load with their shape and labels', () => {
  for (const gzip of [false, true]) {
    const d = loadIdxFolder(idxFolder(`good-${gzip}`, goodImages, goodLabels, gzip), 'train', 'toy', null);
    assert.deepEqual([d.count, d.height, d.width, d.channels], [5, 4, 3, 1]);
    assert.deepEqual(Array.from(d.images), Array.from(pixels));
    assert.deepEqual(Array.from(d.labels!), [0, 1, 2, 1, 0]);
    assert.deepEqual(d.classNames, ['0', '1', '2']);
  }
});

test('corrupt IDX files are refused with a message naming the file', () => {
  const cases: [string, Uint8Array, Uint8Array, RegExp, boolean?][] = [
    [
      'bad-magic',
      Uint8Array.from([1, 2, 3, 4, ...goodImages.subarray(4)]),
      goodLabels,
      /train-images-idx3-ubyte: not an IDX file \(bad magic number\)/,
    ],
    ['wrong-dims', encodeIdx([5, 12], pixels), goodLabels, /train-images-idx3-ubyte: has 2 dimensions, expected 3/],
    [
      'count-mismatch',
      goodImages,
      encodeIdx([4], Uint8Array.from([0, 1, 2, 1])),
      /train-labels-idx1-ubyte has 4 labels but .*train-images-idx3-ubyte has 5 images/,
    ],
    [
      'truncated',
      goodImages.subarray(0, goodImages.length - 7),
      goodLabels,
      /train-images-idx3-ubyte: truncated: \[5×4×3\] needs 60 bytes of data, found 53/,
    ],
    [
      'bad-gzip',
      gzipSync(goodImages).subarray(0, 30),
      gzipSync(goodLabels),
      /train-images-idx3-ubyte\.gz: gzip data is corrupt or truncated/,
    ],
  ];
  for (const [name, images, labels, pattern] of cases) {
    const folder = join(dir, name);
    mkdirSync(folder, { recursive: true });
    const gz = images[0] === 0x1f;
    writeFileSync(join(folder, `train-images-idx3-ubyte${gz ? '.gz' : ''}`), images);
    writeFileSync(join(folder, `train-labels-idx1-ubyte${labels[0] === 0x1f ? '.gz' : ''}`), labels);
    assert.throws(
      () => loadIdxFolder(folder, 'train', name, null),
      (err: Error) => err instanceof DataError && pattern.test(err.message),
      name,
    );
    // The CLI reports it as one line with exit code 2.
    const r = gantry(['data', 'info', folder], dir);
    assert.equal(r.status, 2, `${name}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, pattern);
  }
  assert.throws(() => readIdx(join(dir, 'missing'), 3), /cannot read .*missing: ENOENT/);
});

test("Fashion-MNIST from Debian's package: 60,000 + 10,000 images in 10 named classes", async () => {
  const train = await loadData({
    dataset: 'fashion-mnist',
    data: null,
    split: 'train',
    imageSize: 28,
    channels: 1,
    fit: 'crop',
    background: 'black',
    strict: false,
  });
  assert.equal(train.count, 60000);
  assert.equal(train.classNames!.length, 10);
  assert.equal(train.classNames![9], 'Ankle boot');
  const test = await loadData({
    dataset: 'fashion-mnist',
    data: null,
    split: 'test',
    imageSize: 28,
    channels: 1,
    fit: 'crop',
    background: 'black',
    strict: false,
  });
  assert.equal(test.count, 10000);
  const r = gantry(['data', 'info', 'fashion-mnist', '--grid', join(dir, 'fashion.png')], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^fashion-mnist: 60000 images, 28×28, 1 channel\(s\), pixel values 0–255$/m);
  assert.match(r.stdout, /^10 classes: T-shirt\/top 6000, Trouser 6000, .* Ankle boot 6000$/m);
  const bad = gantry(['data', 'info', 'fashion-mnist', '--resolution', '32'], dir);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--resolution can only make them smaller/);
});

test('training on Fashion-MNIST works end to end', () => {
  const run = join(dir, 'fashion-run');
  const r = gantry(
    ['train', '--dataset', 'fashion-mnist', '--limit', '256', '--batch-size', '64', '--epochs', '1', '--out', run],
    dir,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /training dcgan on fashion-mnist \(256 images, 28×28×1, 4 steps an epoch\)/);
  assert.match(r.stdout, /^Epoch \[1\/1\], Step \[4\/4\], D_loss: /m);
  const missing = gantry(['train', '--dataset', 'mnist-full', '--out', join(dir, 'never')], dir);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /mnist-full is not on this machine \(gantry data download mnist\)/);
  const heldOut = gantry(['data', 'info', 'mnist', '--split', 'test'], dir);
  assert.match(heldOut.stdout, /^mnist: 2000 images/m);
});
