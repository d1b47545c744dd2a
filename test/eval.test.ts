import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { resolveConfig } from '../src/config.js';
import { type ImageDataset, limitDataset } from '../src/data/dataset.js';
import { loadData } from '../src/data/index.js';
import { evaluate, type ImageBatch, realFeatures } from '../src/metrics/evaluate.js';
import { builtinExtractor, modelsDir, pluginExtractor } from '../src/metrics/extractor.js';
import { createTrainingEvaluator } from '../src/metrics/training_eval.js';
import { ParamStore } from '../src/networks/layers.js';
import type { Network } from '../src/networks/network.js';
import { Rng } from '../src/util/random.js';
import { gantry, makeDigitFolder, tempDir } from './helpers.js';

const dir = tempDir();
const source = {
  dataset: 'mnist' as const,
  data: null,
  split: 'train' as const,
  imageSize: 28,
  channels: 1,
  fit: 'crop' as const,
  background: 'black' as const,
  strict: false,
};

function subset(d: ImageDataset, pick: (i: number) => boolean, max: number): ImageBatch {
  const size = 784;
  const chosen: number[] = [];
  for (let i = 0; i < d.count && chosen.length < max; i++) if (pick(i)) chosen.push(i);
  const images = new Uint8Array(chosen.length * size);
  chosen.forEach((c, k) => images.set(d.images.subarray(c * size, (c + 1) * size), k * size));
  return { images, count: chosen.length, height: 28, width: 28, channels: 1 };
}

test('the metrics measure what they should on real MNIST digits, noise and a one-class "generator"', async () => {
  await useBackend('wasm');
  const extractor = await builtinExtractor('mnist');
  const train = await loadData(source);
  const heldOut = await loadData({ ...source, split: 'test' });
  const real = realFeatures(heldOut, 'mnist/test', 2000, extractor, dir);
  const all = new Set(['fid', 'kid', 'is', 'pr', 'modes'] as const);

  const realVsReal = evaluate(
    real,
    'mnist (test)',
    subset(train, (i) => i < 8000, 2000),
    extractor,
    all,
  );
  const rng = new Rng(1);
  const noise: ImageBatch = {
    images: Uint8Array.from({ length: 2000 * 784 }, () => rng.int(256)),
    count: 2000,
    height: 28,
    width: 28,
    channels: 1,
  };
  const noisy = evaluate(real, 'mnist (test)', noise, extractor, all);
  const sevens = evaluate(
    real,
    'mnist (test)',
    subset(train, (i) => train.labels![i] === 7, 1000),
    extractor,
    all,
  );

  // Scale: the classifier's 128 ReLU features are not Inception's, so compare within the protocol.
  assert.ok(realVsReal.fid! < 0.1 * noisy.fid!, `real vs real FID ${realVsReal.fid}, noise ${noisy.fid}`);
  assert.ok(sevens.fid! > 5 * realVsReal.fid!, `one class FID ${sevens.fid}`);
  assert.ok(
    realVsReal.precision! > 0.6 && realVsReal.recall! > 0.6,
    `real: ${realVsReal.precision}, ${realVsReal.recall}`,
  );
  assert.ok(noisy.precision! < 0.05, `noise precision ${noisy.precision}`);
  assert.ok(
    sevens.recall! < 0.4 && sevens.precision! > 0.6,
    `one class: precision ${sevens.precision}, recall ${sevens.recall}`,
  );
  assert.ok(realVsReal.is! > 8, `real IS ${realVsReal.is}`);
  assert.ok(sevens.is! < 1.5, `one class IS ${sevens.is}`);
  assert.equal(realVsReal.modes!.covered, 10);
  assert.equal(sevens.modes!.covered, 1);
  assert.ok(
    sevens.modes!.kl > 1.5 && realVsReal.modes!.kl < 0.2,
    `mode KL: one class ${sevens.modes!.kl}, real ${realVsReal.modes!.kl}`,
  );
  assert.ok(realVsReal.kid! < 0.1 * noisy.kid!, `KID real ${realVsReal.kid}, noise ${noisy.kid}`);
  // Real statistics are cached and reused.
  assert.equal(readdirSync(join(dir, 'stats')).length, 2);
  const again = realFeatures(heldOut, 'mnist/test', 2000, extractor, dir);
  assert.deepEqual(Array.from(again.features.subarray(0, 50)), Array.from(real.features.subarray(0, 50)));
  // The same model as a plug-in extractor gives the same numbers under its own protocol name.
  const plugin = await pluginExtractor(join(modelsDir(), 'classifiers', 'mnist'), 'features', '-1,1');
  const viaPlugin = evaluate(
    realFeatures(heldOut, 'mnist/test', 2000, plugin, dir),
    'mnist (test)',
    subset(train, (i) => i < 8000, 2000),
    plugin,
    new Set(['fid'] as const),
  );
  assert.ok(Math.abs(viaPlugin.fid! - realVsReal.fid!) < 1e-6);
  assert.match(viaPlugin.protocol.extractor, /^plugin .*layer 'features' \(128-d\), input 28×28×1 scaled to \[-1, 1\]/);
  extractor.dispose();
  plugin.dispose();
});

test('gantry eval on a run or a folder prints a table or one JSON line and appends to metrics.jsonl; training evaluates every epoch', async () => {
  const run = join(dir, 'run');
  const r = gantry(
    ['train', '--limit', '256', '--epochs', '2', '--eval-every', '1', '--eval-count', '300', '--out', run],
    dir,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /epoch 1: FID \d+\.\d{3}, KID/);
  assert.ok(existsSync(join(run, 'fid.png')) && existsSync(join(run, 'checkpoint-best.bin')));
  const evals = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((m) => m.eval);
  assert.deepEqual(
    evals.map((e) => e.epoch),
    [1, 2],
  );

  const table = gantry(['eval', '--run', run, '--count', '500'], dir);
  assert.equal(table.status, 0, table.stderr);
  assert.match(table.stdout, /^FID +\d+\.\d+$/m);
  assert.match(table.stdout, /^modes covered \(>2%\) +\d+\/10/m);
  assert.match(table.stdout, /reference: mnist \(test\), 500 real vs 500 generated images/);
  const json = gantry(['eval', '--run', run, '--count', '500', '--metrics', 'fid,kid,is,pr,modes', '--json'], dir);
  assert.equal(json.status, 0, json.stderr);
  const result = JSON.parse(json.stdout.trim());
  for (const k of ['fid', 'kid', 'is', 'precision', 'recall', 'modes', 'protocol']) assert.ok(k in result, k);
  const lines = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.ok(JSON.parse(lines[lines.length - 1]).eval.fid === result.fid);

  // A folder of images (tinted digits as PNG/JPEG/WebP) is judged after conversion to the reference's 28×28 gray.
  const folder = join(dir, 'pictures');
  await makeDigitFolder(folder, 60, 10);
  const images = gantry(
    ['eval', '--images', folder, '--reference', 'mnist', '--metrics', 'fid,is,modes', '--count', '60', '--json'],
    dir,
  );
  assert.equal(images.status, 0, images.stderr);
  const judged = JSON.parse(images.stdout.trim());
  assert.ok(Number.isFinite(judged.fid) && judged.is > 1 && judged.protocol.generated_count === 60);
  assert.match(
    images.stderr,
    /warning: generated: 60 samples for 128-d features give a singular covariance; FID needs more than 128/,
  );

  // Training on a folder evaluates against the folder's own images, with the classifier --eval-features names.
  const folderRun = gantry(
    [
      'train',
      '--data',
      folder,
      '--preset',
      'dcgan',
      '--epochs',
      '1',
      '--eval-every',
      '1',
      '--eval-features',
      'mnist',
      '--out',
      join(dir, 'folder-run'),
    ],
    dir,
  );
  assert.equal(folderRun.status, 0, folderRun.stderr);
  assert.match(folderRun.stderr, /epoch 1: FID \d+\.\d{3}/);
  const folderEval = readFileSync(join(dir, 'folder-run', 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((m) => m.eval);
  assert.ok(Number.isFinite(folderEval.eval.fid));
  const noFeatures = gantry(
    [
      'train',
      '--data',
      folder,
      '--preset',
      'dcgan',
      '--epochs',
      '1',
      '--eval-every',
      '1',
      '--out',
      join(dir, 'folder-run-2'),
    ],
    dir,
  );
  assert.equal(noFeatures.status, 2);
  assert.match(noFeatures.stderr, /--eval-every on an image folder needs --eval-features mnist\|fashion-mnist/);

  const bad = gantry(['eval', '--run', run, '--metrics', 'fid,beauty'], dir);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--metrics: unknown metric 'beauty'/);
  assert.equal(gantry(['eval'], dir).status, 2);
});

test('training on a folder judges G against images spread over the folder, not its first files (name order)', async () => {
  await useBackend('auto');
  // A folder's files in name order, here sorted by class: 150 ones, then 150 sevens.
  const digits = await loadData(resolveConfig({ dataset: 'mnist' }));
  const size = 28 * 28;
  const pick = (digit: number) => [...digits.labels!.keys()].filter((i) => digits.labels![i] === digit).slice(0, 150);
  const order = [...pick(1), ...pick(7)];
  const images = new Uint8Array(order.length * size);
  order.forEach((k, i) => images.set(digits.images.subarray(k * size, (k + 1) * size), i * size));
  const folder: ImageDataset = {
    ...digits,
    name: 'sorted',
    images,
    labels: null,
    classNames: null,
    count: order.length,
  };
  const config = resolveConfig({ data: '/sorted', evalFeatures: 'mnist', evalCount: 100, dataHash: 'sorted-test' });
  // A stand-in G that draws the folder's own images, ones and sevens alike (spread over the folder).
  const drawn = limitDataset(folder, 100, 'spread');
  const g: Network = {
    store: new ParamStore(new Rng(0)),
    inputShape: [config.latentDim],
    outputShape: [28, 28, 1],
    apply: (z) =>
      tf.tidy(() =>
        tf.sub(tf.div(tf.tensor4d(drawn.images, [100, 28, 28, 1], 'float32'), 127.5), 1).slice(0, z.shape[0]),
      ),
  };
  const evaluator = await createTrainingEvaluator(config, folder, tempDir());
  const result = evaluator.evaluate(g);
  evaluator.dispose();
  // Against the first 100 files (all ones) half the images would be foreign: FID in the hundreds on these features.
  assert.ok(result.fid! < 5, `FID ${result.fid} against the folder's own images`);
});
