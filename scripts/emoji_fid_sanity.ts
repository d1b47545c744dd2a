/**
 * Sanity numbers for the emoji classifier's features (docs/METRICS.md): FID and friends of real, other-style,
 * blurred, noise and one-category images against the held-out emoji-twitter images.
 * Usage: node dist/scripts/emoji_fid_sanity.js [TRAIN_COUNT]   (default 2,000 training images, seeded pick)
 */
import { useBackend } from '../src/backend/index.js';
import type { ImageDataset } from '../src/data/dataset.js';
import { defaultCacheDir } from '../src/data/idx_sets.js';
import { type DatasetName, loadData } from '../src/data/index.js';
import { evaluate, firstImages, type ImageBatch, realFeatures } from '../src/metrics/evaluate.js';
import { builtinExtractor } from '../src/metrics/extractor.js';
import { Rng } from '../src/util/random.js';

/** Images `indices` of `d` as one batch. */
function pick(d: ImageDataset, indices: number[]): ImageBatch {
  const size = d.height * d.width * d.channels;
  const images = new Uint8Array(indices.length * size);
  indices.forEach((c, k) => images.set(d.images.subarray(c * size, (c + 1) * size), k * size));
  return { images, count: indices.length, height: d.height, width: d.width, channels: d.channels };
}

/** A Gaussian blur of σ px (separable, edges clamped), per channel. */
function blur(b: ImageBatch, sigma: number): ImageBatch {
  const r = Math.ceil(3 * sigma);
  const taps = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = taps.reduce((a, t) => a + t, 0);
  const w = taps.map((t) => t / sum);
  const { height: h, width: wd, channels: ch } = b;
  const out = new Uint8Array(b.images.length);
  const tmp = new Float32Array(h * wd * ch);
  for (let n = 0; n < b.count; n++) {
    const base = n * h * wd * ch;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < wd; x++)
        for (let c = 0; c < ch; c++) {
          let v = 0;
          for (let k = -r; k <= r; k++)
            v += w[k + r] * b.images[base + (y * wd + Math.min(wd - 1, Math.max(0, x + k))) * ch + c];
          tmp[(y * wd + x) * ch + c] = v;
        }
    for (let y = 0; y < h; y++)
      for (let x = 0; x < wd; x++)
        for (let c = 0; c < ch; c++) {
          let v = 0;
          for (let k = -r; k <= r; k++) v += w[k + r] * tmp[(Math.min(h - 1, Math.max(0, y + k)) * wd + x) * ch + c];
          out[base + (y * wd + x) * ch + c] = Math.round(v);
        }
  }
  return { ...b, images: out };
}

const load = (dataset: DatasetName, split: 'train' | 'test') =>
  loadData({ dataset, data: null, split, imageSize: 64, channels: 3, fit: 'crop', background: 'white', strict: false });

const backend = await useBackend('auto');
const trainCount = Number(process.argv[2] ?? 2000);
const extractor = await builtinExtractor('emoji-twitter');
const [twitterTrain, twitterTest, googleTrain, googleTest] = await Promise.all([
  load('emoji-twitter', 'train'),
  load('emoji-twitter', 'test'),
  load('emoji-google', 'train'),
  load('emoji-google', 'test'),
]);
const real = realFeatures(twitterTest, 'emoji-twitter/test', twitterTest.count, extractor, defaultCacheDir());
const rng = new Rng(1);
const trainPick = Array.from(rng.permutation(twitterTrain.count).subarray(0, trainCount));
const testBatch = firstImages(twitterTest, twitterTest.count);
const n = twitterTest.count;
const people = twitterTrain.classNames!.indexOf('People & Body');
const trainBatch = pick(twitterTrain, trainPick);
const cases: [string, ImageBatch][] = [
  [`${trainCount} real emoji-twitter training images`, trainBatch],
  [`${trainCount} real emoji-google training images (other style)`, pick(googleTrain, trainPick)],
  [
    `${googleTest.count} held-out emoji-google images (same emoji, other style)`,
    firstImages(googleTest, googleTest.count),
  ],
  [`the ${n} test images blurred, σ = 1 px`, blur(testBatch, 1)],
  [`the ${n} test images blurred, σ = 3 px`, blur(testBatch, 3)],
  [`the ${trainCount} training images blurred, σ = 3 px`, blur(trainBatch, 3)],
  [
    `${n} images of uniform noise`,
    {
      images: Uint8Array.from({ length: n * 64 * 64 * 3 }, () => rng.int(256)),
      count: n,
      height: 64,
      width: 64,
      channels: 3,
    },
  ],
  [
    `${n} training images of one category (People & Body)`,
    pick(
      twitterTrain,
      Array.from({ length: twitterTrain.count }, (_, i) => i)
        .filter((i) => twitterTrain.labels![i] === people)
        .slice(0, n),
    ),
  ],
];
const all = new Set(['fid', 'kid', 'is', 'pr', 'modes'] as const);
console.log(`extractor: ${extractor.description} (${extractor.id}); backend ${backend}`);
console.log(`| ${n} held-out emoji-twitter images vs | FID | KID | IS | precision | recall | modes (>2%) |`);
console.log('|---|---|---|---|---|---|---|');
for (const [label, batch] of cases) {
  const r = evaluate(real, 'emoji-twitter (test)', batch, extractor, all);
  console.log(
    `| ${label} | ${r.fid!.toFixed(2)} | ${r.kid!.toFixed(4)} | ${r.is!.toFixed(2)} | ${r.precision!.toFixed(3)} | ${r.recall!.toFixed(3)} | ${r.modes!.covered}/10, KL ${r.modes!.kl.toFixed(3)} |`,
  );
}
extractor.dispose();
