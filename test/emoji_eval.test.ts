import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { useBackend } from '../src/backend/index.js';
import type { ImageDataset } from '../src/data/dataset.js';
import { DataError } from '../src/data/errors.js';
import { loadData } from '../src/data/index.js';
import { evaluate, firstImages, type ImageBatch, realFeatures } from '../src/metrics/evaluate.js';
import { BUILTIN_EXTRACTORS, builtinExtractor, builtinExtractorName } from '../src/metrics/extractor.js';
import { EVAL_FEATURES } from '../src/options.js';
import { Rng } from '../src/util/random.js';
import { gantry, TEST_CACHE, tempDir } from './helpers.js';

const dir = tempDir();
const SIZE = 64 * 64 * 3;

function pick(d: ImageDataset, indices: ArrayLike<number>): ImageBatch {
  const images = new Uint8Array(indices.length * SIZE);
  for (let k = 0; k < indices.length; k++)
    images.set(d.images.subarray(indices[k] * SIZE, (indices[k] + 1) * SIZE), k * SIZE);
  return { images, count: indices.length, height: 64, width: 64, channels: 3 };
}

test('both emoji styles are judged by the emoji classifier, and it is a choice for --eval-features', () => {
  assert.equal(builtinExtractorName('emoji-twitter'), 'emoji');
  assert.equal(builtinExtractorName('emoji-google'), 'emoji');
  assert.equal(builtinExtractorName('mnist-full'), 'mnist');
  assert.throws(() => builtinExtractorName('cifar10'), DataError);
  for (const name of BUILTIN_EXTRACTORS) assert.ok((EVAL_FEATURES as readonly string[]).includes(name), name);
});

test('the emoji extractor: 128-d features and 10 classes for 64×64×3 images; FID tells real emoji from noise', async () => {
  await useBackend('wasm');
  const extractor = await builtinExtractor('emoji-twitter');
  assert.deepEqual(
    [extractor.inputSize, extractor.inputChannels, extractor.featureDim, extractor.classes],
    [64, 3, 128, 10],
  );
  assert.match(extractor.id, /^gantry-classifier-emoji:features@[0-9a-f]{12}\/64px\/-1,1$/);

  const source = {
    dataset: 'emoji-twitter' as const,
    data: null,
    split: 'train' as const,
    imageSize: 64,
    channels: 3,
    fit: 'crop' as const,
    background: 'white' as const,
    strict: false,
  };
  const hooks = { cacheDir: TEST_CACHE };
  const train = await loadData(source, hooks);
  const heldOut = await loadData({ ...source, split: 'test' }, hooks);
  const n = 200;

  const one = extractor.extract(heldOut.images, 2, 64, 64, 3);
  assert.deepEqual([one.features.length, one.probs!.length, one.count], [256, 20, 2]);
  assert.ok(Math.abs(one.probs!.subarray(0, 10).reduce((a, b) => a + b, 0) - 1) < 1e-4);

  const real = realFeatures(heldOut, 'emoji-twitter/test', n, extractor, dir);
  const fid = new Set(['fid'] as const);
  const realVsReal = evaluate(
    real,
    'emoji-twitter (test)',
    pick(train, new Rng(1).permutation(train.count).subarray(0, n)),
    extractor,
    fid,
  ).fid!;
  const rng = new Rng(2);
  const noise: ImageBatch = {
    images: Uint8Array.from({ length: n * SIZE }, () => rng.int(256)),
    count: n,
    height: 64,
    width: 64,
    channels: 3,
  };
  const noisy = evaluate(real, 'emoji-twitter (test)', noise, extractor, fid).fid!;
  assert.ok(realVsReal < 0.2 * noisy, `FID real vs real ${realVsReal}, vs noise ${noisy}`);
  // Both styles share one model, so one extractor id (and one feature cache).
  const google = await builtinExtractor('emoji-google');
  assert.equal(google.id, extractor.id);
  google.dispose();
  const self = evaluate(real, 'emoji-twitter (test)', firstImages(heldOut, n), extractor, fid).fid!;
  assert.ok(Math.abs(self) < 1e-6 * noisy, `FID of the reference with itself ${self}`);
  extractor.dispose();
});

test('gantry eval --resolution: a 32 px emoji run is compared at 64 px with a warning, or at its own size', () => {
  const run = join(dir, 'emoji32');
  const trained = gantry(
    ['train', '--dataset', 'emoji-twitter', '--resolution', '32', '--limit', '64', '--epochs', '1', '--out', run],
    dir,
  );
  assert.equal(trained.status, 0, trained.stderr);
  const args = ['eval', '--run', run, '--count', '150', '--metrics', 'fid', '--json'];
  const native = gantry(args, dir);
  assert.equal(native.status, 0, native.stderr);
  assert.match(
    native.stderr,
    /warning: the run draws 32×32 images, compared with emoji-twitter at 64×64: --resolution 32 compares at the run's size/,
  );
  const own = gantry([...args, '--resolution', '32'], dir);
  assert.equal(own.status, 0, own.stderr);
  assert.doesNotMatch(own.stderr, /warning: the run draws/);
  const [a, b] = [JSON.parse(native.stdout), JSON.parse(own.stdout)];
  assert.equal(a.protocol.reference, 'emoji-twitter (test)');
  assert.equal(b.protocol.reference, 'emoji-twitter (test, 32×32)');
  // The compared size is recorded (scripts/fid_vs_time.ts keeps a curve to one scale by it).
  assert.equal(a.protocol.real_size, 64);
  assert.equal(b.protocol.real_size, 32);
  const cached = JSON.parse(gantry(args, dir).stdout);
  assert.equal(cached.protocol.real_size, 64, 'from the feature cache too');
  // The same generated images against other real pixels: another distance.
  assert.ok(Number.isFinite(a.fid) && Number.isFinite(b.fid) && Math.abs(a.fid - b.fid) > 1e-3, `${a.fid} ${b.fid}`);

  const larger = gantry([...args, '--resolution', '128'], dir);
  assert.equal(larger.status, 2, larger.stderr);
  assert.equal(larger.stderr.trim().split('\n').length, 1, larger.stderr);
  assert.match(larger.stderr, /emoji-twitter images are 64×64 .*--resolution can only make them smaller/);
});
