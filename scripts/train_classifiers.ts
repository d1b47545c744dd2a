/**
 * Trains gantry's feature-extractor classifiers and writes them to models/classifiers/<dataset>/:
 *   mnist          the bundled 10,000 digits: trained on the first 7,000, the epoch kept is the one with the best
 *                  accuracy on the next 1,000 (validation); held out: the last 2,000
 *   fashion-mnist  Debian's Fashion-MNIST: trained on the 60,000 train images, held out: the 10,000 test images
 * Usage: npm run train-classifiers [-- mnist|fashion-mnist]
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

function tensors(d: ImageDataset, from: number, to: number, order: Int32Array | null): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const n = to - from;
  const x = new Float32Array(n * 784);
  const y = new Float32Array(n * 10);
  for (let i = 0; i < n; i++) {
    const src = order ? order[from + i] : from + i;
    for (let p = 0; p < 784; p++) x[i * 784 + p] = d.images[src * 784 + p] / 127.5 - 1;
    y[i * 10 + d.labels![src]] = 1;
  }
  return { x: tf.tensor4d(x, [n, 28, 28, 1]), y: tf.tensor2d(y, [n, 10]) };
}

async function trainOne(name: 'mnist' | 'fashion-mnist', epochs: number, batchSize: number): Promise<void> {
  const source = { dataset: name, data: null, split: 'train' as const, imageSize: 28, channels: 1, fit: 'crop' as const, background: 'black' as const, strict: false };
  const all = await loadData(source);
  let train: { x: tf.Tensor4D; y: tf.Tensor2D };
  let test: { x: tf.Tensor4D; y: tf.Tensor2D };
  let validation: { x: tf.Tensor4D; y: tf.Tensor2D } | null = null;
  let heldOut: string;
  if (name === 'mnist') {
    train = tensors(all, 0, 7000, null);
    validation = tensors(all, 7000, 8000, null);
    test = tensors(all, 8000, 10000, null);
    heldOut = 'the last 2,000 of the 10,000 bundled digits';
  } else {
    train = tensors(all, 0, all.count, null);
    const testSet = await loadData({ ...source, split: 'test' });
    test = tensors(testSet, 0, testSet.count, null);
    heldOut = 'the 10,000 test images';
  }
  const model = buildClassifier(10, 1);
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const rng = new Rng(7);
  let bestValidation = -1;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    const order = rng.permutation(train.x.shape[0]);
    const idx = tf.tensor1d(order, 'int32');
    const xs = tf.gather(train.x, idx);
    const ys = tf.gather(train.y, idx);
    const t = performance.now();
    const h = await model.fit(xs, ys, { batchSize, epochs: 1, shuffle: false, verbose: 0 });
    tf.dispose([idx, xs, ys]);
    const [loss, acc] = (model.evaluate(test.x, test.y, { batchSize: 500 }) as tf.Scalar[]).map((s) => s.dataSync()[0]);
    const valAcc = validation ? (model.evaluate(validation.x, validation.y, { batchSize: 500 }) as tf.Scalar[])[1].dataSync()[0] : null;
    console.log(`${name} epoch ${epoch}/${epochs}: train loss ${(h.history.loss[0] as number).toFixed(4)}, ${valAcc == null ? '' : `validation accuracy ${(valAcc * 100).toFixed(2)}%, `}held-out loss ${loss.toFixed(4)}, accuracy ${(acc * 100).toFixed(2)}% (${((performance.now() - t) / 1000).toFixed(0)} s)`);
    // With a validation set, keep the epoch that does best on it; otherwise the last epoch.
    const improved = valAcc != null && valAcc > bestValidation;
    if (improved) bestValidation = valAcc!;
    if (improved || (validation == null && epoch === epochs)) {
      const dir = join('models', 'classifiers', name);
      mkdirSync(dir, { recursive: true });
      await saveLayersModel(model, dir, { dataset: name, heldOut, heldOutAccuracy: acc, epoch });
      writeFileAtomic(join(dir, 'accuracy.json'), `${JSON.stringify({ dataset: name, heldOut, accuracy: acc, epoch, batchSize, validationAccuracy: valAcc }, null, 2)}\n`);
    }
  }
}

await useBackend('wasm');
const which = process.argv[2];
if (which == null || which === 'mnist') await trainOne('mnist', 12, 64);
if (which == null || which === 'fashion-mnist') await trainOne('fashion-mnist', 8, 128);
