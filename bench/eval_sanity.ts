/**
 * Sanity numbers for docs/METRICS.md: real vs real, noise, one class, on bundled MNIST and Fashion-MNIST.
 * Usage: node dist/bench/eval_sanity.js [mnist|fashion-mnist]
 */
import { useBackend } from '../src/backend/index.js';
import type { ImageDataset } from '../src/data/dataset.js';
import { defaultCacheDir } from '../src/data/idx_sets.js';
import { loadData } from '../src/data/index.js';
import { evaluate, type ImageBatch, realFeatures } from '../src/metrics/evaluate.js';
import { builtinExtractor } from '../src/metrics/extractor.js';
import { Rng } from '../src/util/random.js';

await useBackend('auto');
const name = (process.argv[2] ?? 'mnist') as 'mnist' | 'fashion-mnist';
const source = {
  dataset: name,
  data: null,
  split: 'train' as const,
  imageSize: 28,
  channels: 1,
  fit: 'crop' as const,
  background: 'black' as const,
  strict: false,
};
const extractor = await builtinExtractor(name);
const train = await loadData(source);
const test = await loadData({ ...source, split: 'test' });
const count = Math.min(2000, test.count);
const real = realFeatures(test, `${name}/test`, count, extractor, defaultCacheDir());

function pick(d: ImageDataset, keep: (i: number) => boolean, max: number): ImageBatch {
  const chosen: number[] = [];
  for (let i = 0; i < d.count && chosen.length < max; i++) if (keep(i)) chosen.push(i);
  const images = new Uint8Array(chosen.length * 784);
  chosen.forEach((c, k) => images.set(d.images.subarray(c * 784, (c + 1) * 784), k * 784));
  return { images, count: chosen.length, height: 28, width: 28, channels: 1 };
}
const rng = new Rng(1);
const cases: [string, ImageBatch][] = [
  [`real ${name} train images`, pick(train, () => true, count)],
  [
    'uniform noise',
    { images: Uint8Array.from({ length: count * 784 }, () => rng.int(256)), count, height: 28, width: 28, channels: 1 },
  ],
  ['one class only (label 7)', pick(train, (i) => train.labels![i] === 7, count)],
];
const all = new Set(['fid', 'kid', 'is', 'pr', 'modes'] as const);
console.log(`| ${name}: ${count} test images vs | FID | KID | IS | precision | recall | modes |`);
console.log('|---|---|---|---|---|---|---|');
for (const [label, batch] of cases) {
  const r = evaluate(real, name, batch, extractor, all);
  console.log(
    `| ${label} | ${r.fid!.toFixed(2)} | ${r.kid!.toFixed(4)} | ${r.is!.toFixed(2)} | ${r.precision!.toFixed(3)} | ${r.recall!.toFixed(3)} | ${r.modes!.covered}/10, KL ${r.modes!.kl.toFixed(3)} |`,
  );
}
extractor.dispose();
