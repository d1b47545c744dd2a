/**
 * Trains gantry's feature-extractor classifiers and writes them to models/classifiers/<dataset>/:
 *   mnist          the bundled 10,000 digits: trained on the first 8,000, held out: the last 2,000
 *   fashion-mnist  Debian's Fashion-MNIST: trained on the 60,000 train images, held out: the 10,000 test images
 * Recipe: BatchNorm network (src/metrics/classifier.ts), Adam with a cosine learning-rate decay, augmentation by
 * random shifts (up to 2 px for MNIST; 1 px and left-right mirroring for Fashion-MNIST), a fixed number of epochs; the held-out
 * set is only measured, never used to choose anything.
 * Usage: npm run train-classifiers [-- mnist|fashion-mnist [EPOCHS [OUT]]]
 * A run with another epoch count writes to OUT only (default for it: classifiers-trial/), never over the shipped models.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '../src/backend/index.js';
import type { ImageDataset } from '../src/data/dataset.js';
import { loadData } from '../src/data/index.js';
import { writeFileAtomic } from '../src/io/files.js';
import { saveLayersModel } from '../src/io/export.js';
import { buildClassifier } from '../src/metrics/classifier.js';
import { Rng } from '../src/util/random.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

interface Recipe {
  epochs: number;
  batchSize: number;
  lr: number;
  mirror: boolean;
  shift: number;
}

const RECIPES: Record<'mnist' | 'fashion-mnist', Recipe> = {
  mnist: { epochs: 20, batchSize: 64, lr: 2e-3, mirror: false, shift: 2 },
  'fashion-mnist': { epochs: 10, batchSize: 128, lr: 2e-3, mirror: true, shift: 1 },
};

/** Images `indices` of `d` scaled to [−1, 1], each shifted by up to `shift` px (and mirrored) when `rng` is given. */
function batchOf(d: ImageDataset, indices: ArrayLike<number>, recipe: Recipe, rng: Rng | null): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const n = indices.length;
  const x = new Float32Array(n * PIXELS).fill(-1);
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) {
    const src = indices[i] * PIXELS;
    const dx = rng ? rng.int(2 * recipe.shift + 1) - recipe.shift : 0;
    const dy = rng ? rng.int(2 * recipe.shift + 1) - recipe.shift : 0;
    const flip = rng != null && recipe.mirror && rng.uniform() < 0.5;
    for (let r = Math.max(0, dy); r < Math.min(SIDE, SIDE + dy); r++) {
      for (let c = Math.max(0, dx); c < Math.min(SIDE, SIDE + dx); c++) {
        const sc = c - dx;
        x[i * PIXELS + r * SIDE + c] = d.images[src + (r - dy) * SIDE + (flip ? SIDE - 1 - sc : sc)] / 127.5 - 1;
      }
    }
    y[i * 10 + d.labels![indices[i]]] = 1;
  }
  return { x: tf.tensor4d(x, [n, SIDE, SIDE, 1]), y: tf.tensor2d(y, [n, 10]) };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function trainOne(name: 'mnist' | 'fashion-mnist', recipe: Recipe, backend: string, outRoot: string): Promise<void> {
  const source = { dataset: name, data: null, split: 'train' as const, imageSize: 28, channels: 1, fit: 'crop' as const, background: 'black' as const, strict: false };
  const all = await loadData(source);
  let trainIndices: number[], test: { x: tf.Tensor4D; y: tf.Tensor2D }, heldOut: string, trainedOn: string;
  if (name === 'mnist') {
    trainIndices = range(0, 8000);
    test = batchOf(all, range(8000, 10000), recipe, null);
    heldOut = 'the last 2,000 of the 10,000 bundled digits';
    trainedOn = 'the first 8,000 bundled digits';
  } else {
    trainIndices = range(0, all.count);
    const testSet = await loadData({ ...source, split: 'test' });
    test = batchOf(testSet, range(0, testSet.count), recipe, null);
    heldOut = 'the 10,000 test images';
    trainedOn = 'the 60,000 training images';
  }
  const model = buildClassifier(10, 1);
  const optimizer = tf.train.adam(recipe.lr);
  model.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const rng = new Rng(7);
  let accuracy = 0;
  for (let epoch = 1; epoch <= recipe.epochs; epoch++) {
    // Cosine decay from lr to lr/100, one value per epoch.
    const lr = recipe.lr * (0.01 + 0.99 * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / recipe.epochs)));
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const order = rng.permutation(trainIndices.length);
    const { x, y } = batchOf(all, Array.from(order, (i) => trainIndices[i]), recipe, rng);
    const t = performance.now();
    const h = await model.fit(x, y, { batchSize: recipe.batchSize, epochs: 1, shuffle: false, verbose: 0 });
    tf.dispose([x, y]);
    const [loss, acc] = (model.evaluate(test.x, test.y, { batchSize: 500 }) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    accuracy = acc;
    console.log(`${name} epoch ${epoch}/${recipe.epochs} (lr ${lr.toExponential(2)}): train loss ${(h.history.loss[0] as number).toFixed(4)}, held-out loss ${loss.toFixed(4)}, accuracy ${(acc * 100).toFixed(2)}% (${((performance.now() - t) / 1000).toFixed(0)} s)`);
  }
  const dir = join(outRoot, name);
  mkdirSync(dir, { recursive: true });
  await saveLayersModel(model, dir, { dataset: name, trainedOn, heldOut, heldOutAccuracy: accuracy });
  writeFileAtomic(join(dir, 'accuracy.json'), `${JSON.stringify({ dataset: name, trainedOn, heldOut, accuracy, ...recipe, backend }, null, 2)}\n`);
}

const backend = await useBackend('auto');
const which = process.argv[2];
const epochs = process.argv[3] ? Number(process.argv[3]) : null;
if (epochs != null && !(Number.isInteger(epochs) && epochs >= 1)) {
  console.error(`train-classifiers: EPOCHS must be a positive integer, got '${process.argv[3]}'`);
  process.exit(2);
}
for (const name of ['mnist', 'fashion-mnist'] as const) {
  if (which != null && which !== name) continue;
  const recipe = { ...RECIPES[name], epochs: epochs ?? RECIPES[name].epochs };
  const outRoot = process.argv[4] ?? (recipe.epochs === RECIPES[name].epochs ? join('models', 'classifiers') : 'classifiers-trial');
  await trainOne(name, recipe, backend, outRoot);
  console.log(`saved to ${join(outRoot, name)}`);
}
