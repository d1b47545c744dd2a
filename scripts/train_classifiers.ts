/**
 * Trains gantry's feature-extractor classifiers and writes them to models/classifiers/<name>/:
 *   mnist          the bundled 10,000 digits: trained on the first 8,000, held out: the last 2,000
 *   fashion-mnist  Debian's Fashion-MNIST: trained on the 60,000 train images, held out: the 10,000 test images
 *   emoji          64×64 RGB, both styles together: trained on the train splits of emoji-twitter and emoji-google
 *                  (2 × 3,428 images), held out: both test splits (2 × 358; the same emoji in both styles)
 * Recipe: BatchNorm network (src/metrics/classifier.ts), Adam with a cosine learning-rate decay, augmentation by
 * random shifts (up to 2 px for MNIST; 1 px and left-right mirroring for Fashion-MNIST; 4 px, filled with white,
 * and mirroring for emoji), a fixed number of epochs; the held-out sets are only measured, never used to choose
 * anything.
 * Usage: npm run train-classifiers [-- mnist|fashion-mnist|emoji [EPOCHS [OUT]]]
 * A run with another epoch count writes to OUT only (default for it: classifiers-trial/), never over the shipped models.
 */

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import type { ImageDataset } from '../src/data/dataset.js';
import { type DatasetName, loadData } from '../src/data/index.js';
import { saveLayersModel } from '../src/io/export.js';
import { writeFileAtomic } from '../src/io/files.js';
import { buildClassifier, buildRgbClassifier } from '../src/metrics/classifier.js';
import { Rng } from '../src/util/random.js';

const NAMES = ['mnist', 'fashion-mnist', 'emoji'] as const;
type ClassifierName = (typeof NAMES)[number];

interface Recipe {
  epochs: number;
  batchSize: number;
  lr: number;
  mirror: boolean;
  shift: number;
  /** Value of the pixels a shift brings in: −1 (black, the digit sets' background) or 1 (white, the emoji's). */
  fill: number;
}

const RECIPES: Record<ClassifierName, Recipe> = {
  mnist: { epochs: 20, batchSize: 64, lr: 2e-3, mirror: false, shift: 2, fill: -1 },
  'fashion-mnist': { epochs: 10, batchSize: 128, lr: 2e-3, mirror: true, shift: 1, fill: -1 },
  emoji: { epochs: 12, batchSize: 64, lr: 2e-3, mirror: true, shift: 4, fill: 1 },
};

/** Images `indices` of `d` scaled to [−1, 1], each shifted by up to `shift` px (and mirrored) when `rng` is given. */
function batchOf(
  d: ImageDataset,
  indices: ArrayLike<number>,
  recipe: Recipe,
  rng: Rng | null,
): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const n = indices.length;
  const side = d.height;
  const ch = d.channels;
  const size = side * side * ch;
  const x = new Float32Array(n * size).fill(recipe.fill);
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) {
    const src = indices[i] * size;
    const dx = rng ? rng.int(2 * recipe.shift + 1) - recipe.shift : 0;
    const dy = rng ? rng.int(2 * recipe.shift + 1) - recipe.shift : 0;
    const flip = rng != null && recipe.mirror && rng.uniform() < 0.5;
    for (let r = Math.max(0, dy); r < Math.min(side, side + dy); r++) {
      for (let c = Math.max(0, dx); c < Math.min(side, side + dx); c++) {
        const sc = c - dx;
        const from = src + ((r - dy) * side + (flip ? side - 1 - sc : sc)) * ch;
        const to = i * size + (r * side + c) * ch;
        for (let k = 0; k < ch; k++) x[to + k] = d.images[from + k] / 127.5 - 1;
      }
    }
    y[i * 10 + d.labels![indices[i]]] = 1;
  }
  return { x: tf.tensor4d(x, [n, side, side, ch]), y: tf.tensor2d(y, [n, 10]) };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Two data sets of one shape and labelling, image after image. */
function concat(a: ImageDataset, b: ImageDataset): ImageDataset {
  const images = new Uint8Array(a.images.length + b.images.length);
  images.set(a.images);
  images.set(b.images, a.images.length);
  const labels = new Uint8Array(a.count + b.count);
  labels.set(a.labels!);
  labels.set(b.labels!, a.count);
  return { ...a, name: `${a.name}+${b.name}`, images, labels, count: a.count + b.count, keys: undefined };
}

interface HeldOut {
  name: string;
  data: ImageDataset;
  indices: number[];
}

interface Sources {
  train: ImageDataset;
  trainIndices: number[];
  tests: HeldOut[];
  trainedOn: string;
  heldOut: string;
}

async function sourcesOf(name: ClassifierName): Promise<Sources> {
  const load = (dataset: DatasetName, split: 'train' | 'test', imageSize: number, channels: number) =>
    loadData({ dataset, data: null, split, imageSize, channels, fit: 'crop', background: 'black', strict: false });
  if (name === 'mnist') {
    const all = await load('mnist', 'train', 28, 1);
    return {
      train: all,
      trainIndices: range(0, 8000),
      tests: [{ name: 'mnist', data: all, indices: range(8000, 10000) }],
      trainedOn: 'the first 8,000 bundled digits',
      heldOut: 'the last 2,000 of the 10,000 bundled digits',
    };
  }
  if (name === 'fashion-mnist') {
    const train = await load('fashion-mnist', 'train', 28, 1);
    const test = await load('fashion-mnist', 'test', 28, 1);
    return {
      train,
      trainIndices: range(0, train.count),
      tests: [{ name: 'fashion-mnist', data: test, indices: range(0, test.count) }],
      trainedOn: 'the 60,000 training images',
      heldOut: 'the 10,000 test images',
    };
  }
  const styles = ['emoji-twitter', 'emoji-google'] as const;
  const trains = await Promise.all(styles.map((s) => load(s, 'train', 64, 3)));
  const tests = await Promise.all(styles.map((s) => load(s, 'test', 64, 3)));
  const train = concat(trains[0], trains[1]);
  return {
    train,
    trainIndices: range(0, train.count),
    tests: tests.map((data, i) => ({ name: styles[i], data, indices: range(0, data.count) })),
    trainedOn: `the train splits of emoji-twitter and emoji-google (${trains[0].count} + ${trains[1].count} images)`,
    heldOut: `the test splits of emoji-twitter and emoji-google (${tests[0].count} + ${tests[1].count} images, the same emoji in both styles)`,
  };
}

interface Score {
  loss: number;
  accuracy: number;
  /** Mean over the classes present of the fraction of their images classified right. */
  balancedAccuracy: number;
  count: number;
}

function score(model: tf.LayersModel, set: HeldOut, recipe: Recipe): Score {
  const { x, y } = batchOf(set.data, set.indices, recipe, null);
  const p = model.predict(x, { batchSize: 500 }) as tf.Tensor2D;
  const probs = p.dataSync();
  tf.dispose([x, y, p]);
  const n = set.indices.length;
  const right = new Array(10).fill(0);
  const total = new Array(10).fill(0);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const label = set.data.labels![set.indices[i]];
    const row = probs.subarray(i * 10, i * 10 + 10);
    let best = 0;
    for (let k = 1; k < 10; k++) if (row[k] > row[best]) best = k;
    total[label]++;
    if (best === label) right[label]++;
    loss -= Math.log(Math.max(row[label], 1e-7));
  }
  const present = total.map((t, k) => [right[k], t]).filter(([, t]) => t > 0);
  return {
    loss: loss / n,
    accuracy: right.reduce((a, b) => a + b, 0) / n,
    balancedAccuracy: present.reduce((a, [r, t]) => a + r / t, 0) / present.length,
    count: n,
  };
}

/** Images per model.fit call: a multiple of the batch size, so the batches are those of one whole-epoch call. */
const CHUNK_BATCHES = 32;

async function trainOne(name: ClassifierName, recipe: Recipe, backend: string, outRoot: string): Promise<void> {
  const { train, trainIndices, tests, trainedOn, heldOut } = await sourcesOf(name);
  const model = name === 'emoji' ? buildRgbClassifier(10, 1) : buildClassifier(10, 1);
  const optimizer = tf.train.adam(recipe.lr);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const rng = new Rng(7);
  let scores: Score[] = [];
  const started = performance.now();
  for (let epoch = 1; epoch <= recipe.epochs; epoch++) {
    // Cosine decay from lr to lr/100, one value per epoch.
    const lr = recipe.lr * (0.01 + 0.99 * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / recipe.epochs)));
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const order = Array.from(rng.permutation(trainIndices.length), (i) => trainIndices[i]);
    const t = performance.now();
    let lossSum = 0;
    const chunk = CHUNK_BATCHES * recipe.batchSize;
    for (let start = 0; start < order.length; start += chunk) {
      const { x, y } = batchOf(train, order.slice(start, start + chunk), recipe, rng);
      const h = await model.fit(x, y, { batchSize: recipe.batchSize, epochs: 1, shuffle: false, verbose: 0 });
      lossSum += (h.history.loss[0] as number) * x.shape[0];
      tf.dispose([x, y]);
    }
    scores = tests.map((set) => score(model, set, recipe));
    const perSet = tests.map(
      (set, i) =>
        `${tests.length > 1 ? `${set.name} ` : ''}loss ${scores[i].loss.toFixed(4)}, accuracy ${(scores[i].accuracy * 100).toFixed(2)}% (balanced ${(scores[i].balancedAccuracy * 100).toFixed(2)}%)`,
    );
    console.log(
      `${name} epoch ${epoch}/${recipe.epochs} (lr ${lr.toExponential(2)}): train loss ${(lossSum / order.length).toFixed(4)}, held-out ${perSet.join('; ')} (${((performance.now() - t) / 1000).toFixed(0)} s)`,
    );
  }
  const trainingSeconds = Math.round((performance.now() - started) / 1000);
  const total = scores.reduce((a, s) => a + s.count, 0);
  const accuracy = scores.reduce((a, s) => a + s.accuracy * s.count, 0) / total;
  const perStyle =
    tests.length > 1
      ? {
          accuracyPerSet: Object.fromEntries(
            tests.map((set, i) => [
              set.name,
              { accuracy: scores[i].accuracy, balancedAccuracy: scores[i].balancedAccuracy, count: scores[i].count },
            ]),
          ),
        }
      : {};
  const dir = join(outRoot, name);
  mkdirSync(dir, { recursive: true });
  await saveLayersModel(model, dir, { dataset: name, trainedOn, heldOut, heldOutAccuracy: accuracy });
  writeFileAtomic(
    join(dir, 'accuracy.json'),
    `${JSON.stringify({ dataset: name, trainedOn, heldOut, accuracy, ...perStyle, ...recipe, backend, trainingSeconds }, null, 2)}\n`,
  );
}

const backend = await useBackend('auto');
const which = process.argv[2];
if (which != null && !(NAMES as readonly string[]).includes(which)) {
  console.error(`train-classifiers: unknown classifier '${which}' (choose from ${NAMES.join(', ')})`);
  process.exit(2);
}
const epochs = process.argv[3] ? Number(process.argv[3]) : null;
if (epochs != null && !(Number.isInteger(epochs) && epochs >= 1)) {
  console.error(`train-classifiers: EPOCHS must be a positive integer, got '${process.argv[3]}'`);
  process.exit(2);
}
for (const name of NAMES) {
  if (which != null && which !== name) continue;
  const recipe = { ...RECIPES[name], epochs: epochs ?? RECIPES[name].epochs };
  const outRoot =
    process.argv[4] ?? (recipe.epochs === RECIPES[name].epochs ? join('models', 'classifiers') : 'classifiers-trial');
  await trainOne(name, recipe, backend, outRoot);
  console.log(`saved to ${join(outRoot, name)}`);
}
