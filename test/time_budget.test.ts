/**
 * Quality against time: --time-budget stops a run cleanly (grid, final evaluation, a checkpoint that resumes) and
 * --eval-every by minutes; the flags take 90s, 30m, 2h; a run whose images look collapsed says so.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { resolveConfig, type TrainConfig } from '../src/config.js';
import { loadData } from '../src/data/index.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { evaluate, realFeatures } from '../src/metrics/evaluate.js';
import { builtinExtractor } from '../src/metrics/extractor.js';
import {
  classSpread,
  classSpreads,
  collapseSign,
  conditionalSpreads,
  createTrainingEvaluator,
  pixelSpread,
} from '../src/metrics/training_eval.js';
import { createGan, disposeGan } from '../src/train/gan.js';
import { collapseWatch, fidEvaluation } from '../src/train/hooks.js';
import { train } from '../src/train/loop.js';
import type { TrainState } from '../src/train/state.js';
import { Rng } from '../src/util/random.js';
import { gantry, TEST_CACHE, tempDir } from './helpers.js';

const dir = tempDir();

const evalLines = (run: string) =>
  readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { eval?: { fid: number }; global_step: number })
    .filter((l) => l.eval != null);

test('a run out of time stops with a grid, a final evaluation and a checkpoint that resumes with more time', async () => {
  const run = join(dir, 'budget');
  const config = resolveConfig({
    limit: 640,
    batchSize: 32,
    epochs: 1000,
    timeBudget: 2 / 60, // 2 seconds
    evalMinutes: 0.01,
    evalCount: 50,
    sampleGridSize: 4,
    backend: 'wasm',
  });
  const first = await train({ runDir: run, config });
  assert.equal(first.completed, true);
  assert.equal(first.outOfTime, true);
  const status = JSON.parse(readFileSync(join(run, 'status.json'), 'utf8'));
  assert.equal(status.state, 'finished');
  const { state } = readCheckpoint<TrainState>(join(run, 'checkpoint.bin'));
  assert.equal(state.globalStep, first.globalStep, 'the checkpoint is where the run stopped');
  assert.ok(state.trainSeconds >= 2 && state.trainSeconds < 30, `trained ${state.trainSeconds} s`);
  // The final evaluation is of the last step, and the grid of the epoch it stopped in is there.
  const evals = evalLines(run);
  assert.ok(evals.length >= 1);
  assert.equal(evals[evals.length - 1].global_step, first.globalStep);
  const grid = `epoch-${String(state.step > 0 ? state.epoch : state.epoch - 1).padStart(3, '0')}.png`;
  assert.ok(existsSync(join(run, 'samples', grid)), `${grid} in ${readdirSync(join(run, 'samples'))}`);

  // More time: it goes on from there and stops again when the whole run has trained 4 seconds.
  const second = await train({ runDir: run, resume: true, resumeOverrides: { timeBudget: 4 / 60 } });
  assert.equal(second.outOfTime, true);
  assert.ok(second.globalStep > first.globalStep, `${first.globalStep} → ${second.globalStep} steps`);
  const after = readCheckpoint<TrainState>(join(run, 'checkpoint.bin')).state;
  assert.ok(after.trainSeconds >= 4 && after.trainSeconds < 40, `trained ${after.trainSeconds} s in all`);
  assert.ok(evalLines(run).length > evals.length, 'evaluated again');
});

test('--time-budget and --eval-every take times (90s, 30m, 2h); a bad time is a one-line error', () => {
  const r = gantry(['train', '--time-budget', '90s', '--eval-every', '5m', '--dry-run'], dir);
  assert.equal(r.status, 0, r.stderr);
  const config = JSON.parse(r.stdout) as TrainConfig;
  assert.deepEqual([config.timeBudget, config.evalMinutes, config.evalEvery], [1.5, 5, 0]);
  // Without --epochs the budget ends the run, not the default 5 epochs; --epochs still caps it when given.
  assert.equal(config.epochs, 1e6);
  assert.equal(
    JSON.parse(gantry(['train', '--time-budget', '90s', '--epochs', '3', '--dry-run'], dir).stdout).epochs,
    3,
  );
  const hours = JSON.parse(gantry(['train', '--time-budget=2h', '--eval-every', '3', '--dry-run'], dir).stdout);
  assert.deepEqual([hours.timeBudget, hours.evalMinutes, hours.evalEvery], [120, 0, 3]);
  const bad = gantry(['train', '--time-budget', 'soon'], dir);
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  assert.match(bad.stderr, /--time-budget must be a time such as 90s, 30m or 2h, got 'soon'/);
});

test('a generator whose images are all alike is called collapsed after two evaluations in a row; real digits are not', async () => {
  await useBackend('auto');
  const config = resolveConfig({ limit: 640, evalEvery: 1, evalCount: 100 });
  const data = await loadData(config);
  const evaluator = await createTrainingEvaluator(config, data, TEST_CACHE);
  const gan = createGan(config);
  const hook = fidEvaluation(evaluator);
  const state = {
    fidHistory: [],
    bestFid: null,
    collapseStreak: 0,
    collapse: null,
    evaluatedSeconds: 0,
    globalStep: 0,
  };
  const said: string[] = [];
  const context = (epoch: number) => ({
    gan,
    config,
    runDir: dir,
    epoch,
    final: false,
    seconds: epoch,
    state: state as unknown as TrainState,
    info: (line: string) => said.push(line),
    record: () => {},
  });
  // G's last layer at zero: every image is tanh(0), one flat gray.
  const outputs = [...gan.generator.store.params.entries()].filter(([name]) => name.startsWith('up2/'));
  assert.equal(outputs.length, 2, 'the reference G ends in up2 (kernel and bias)');
  for (const [, v] of outputs) v.assign(tf.zerosLike(v));
  await hook(context(1));
  assert.equal(state.collapse, null, 'one evaluation is not enough');
  await hook(context(2));
  assert.match(
    state.collapse ?? '',
    /collapsed at epoch 2: the generated images are nearly all alike \(pixel spread 0\.000, the real images' 0\.1\d\d\)/,
  );
  assert.ok(
    said.some((l) => /^warning: the run looks collapsed at epoch 2/.test(l)),
    said.join('\n'),
  );
  disposeGan(gan);
  evaluator.dispose();
  // Real test digits, judged the same way: spread out, every class there.
  const real = await loadData(resolveConfig({ split: 'test' }));
  const n = 500;
  const images = real.images.subarray(0, n * 28 * 28);
  const extractor = await builtinExtractor('mnist');
  const batch = { images, count: n, height: 28, width: 28, channels: 1 };
  const result = evaluate(
    realFeatures(real, 'mnist/test', n, extractor, TEST_CACHE),
    'mnist',
    batch,
    extractor,
    new Set(['modes']),
  );
  const spread = pixelSpread(images, n);
  assert.ok(spread > 0.15, `real digits spread ${spread}`);
  assert.equal(collapseSign({ ...result, spread }), null);
  extractor.dispose();
});

test('a conditional G that draws one picture per class is called collapsed; real digits by their labels are not', async () => {
  const real = await loadData(resolveConfig({ split: 'test' }));
  const n = 500;
  const size = 28 * 28;
  const images = real.images.subarray(0, n * size);
  const labels = Int32Array.from(real.labels!.subarray(0, n));
  const within = classSpread(images, labels);
  assert.ok(within > 0.1, `real digits spread ${within} within their classes`);
  const base = { protocol: { extractor: 'x', reference: 'y', real_count: n, generated_count: n } };
  assert.equal(collapseSign({ ...base, spread: pixelSpread(images, n), class_spread: within }), null);
  // Each image replaced by its class's first digit: ten different pictures, each repeated.
  const first = new Map<number, number>();
  labels.forEach((label, i) => first.set(label, first.get(label) ?? i));
  const repeated = new Uint8Array(images.length);
  labels.forEach((label, i) =>
    repeated.set(images.subarray(first.get(label)! * size, (first.get(label)! + 1) * size), i * size),
  );
  const across = pixelSpread(repeated, n);
  assert.ok(across > 0.1, `the ten pictures differ (spread ${across})`);
  assert.ok(classSpread(repeated, labels) < 1e-6, 'no spread within a class');
  assert.equal(
    collapseSign({ ...base, spread: across, class_spread: 0 }),
    'within each class the generated images are nearly all alike (pixel spread 0.000)',
  );
  // Grainy copies (the cgan collapse seen on the emoji): each class's picture with its own per-image noise spreads
  // above any small absolute threshold, but far less than real digits do within a class.
  const rng = new Rng(5);
  const grainy = repeated.map((v) => Math.max(0, Math.min(255, v + Math.round(rng.uniform() * 30 - 15))));
  const grain = classSpread(grainy, labels);
  assert.ok(grain > 0.02 && grain < within / 3, `grain spread ${grain} against the real ${within}`);
  const realSpreads = { real_spread: pixelSpread(images, n), real_class_spread: within };
  assert.match(
    collapseSign({ ...base, ...realSpreads, spread: pixelSpread(grainy, n), class_spread: grain }) ?? '',
    /^within each class the generated images are nearly all alike \(pixel spread 0\.0\d\d, the real images' 0\.1\d\d\)$/,
  );
  assert.equal(collapseSign({ ...base, ...realSpreads, spread: realSpreads.real_spread, class_spread: within }), null);
  // Class by class: a collapse takes the classes one after another. Grainy copies in classes 0–4, real digits in
  // 5–9: half the classes collapsed is called so; four are not yet.
  const realByClass = classSpreads(images, labels);
  const partly = (collapsed: number) => {
    const mixed = images.map((v, i) => (labels[Math.floor(i / size)] < collapsed ? grainy[i] : v));
    return { ...base, ...realSpreads, real_class_spreads: realByClass, ...conditionalSpreads(mixed, labels) };
  };
  assert.match(
    collapseSign(partly(5)) ?? '',
    /^in 5 of 10 classes the generated images are nearly all alike \(pixel spread 0\.0\d\d, the real images' 0\.1\d\d within those classes\)$/,
  );
  assert.equal(collapseSign(partly(4)), null);
});

test('a run that does not evaluate still says it collapsed: the watch compares its spread with the training images', async () => {
  await useBackend('auto');
  const config = resolveConfig({ limit: 300 });
  const data = await loadData(config);
  const gan = createGan(config);
  const watch = collapseWatch(config, data);
  const state = { collapseStreak: 0, collapse: null as string | null };
  const said: string[] = [];
  const run = (epoch: number, seconds = 60 * epoch) =>
    watch({
      gan,
      config,
      runDir: dir,
      epoch,
      final: false,
      seconds,
      state: state as unknown as TrainState,
      info: (line: string) => said.push(line),
      record: () => {},
    });
  const before = tf.memory().numTensors;
  // An untrained G draws noise, spread as widely as digits: not collapsed.
  run(1);
  run(2);
  assert.equal(state.collapse, null, said.join('\n'));
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  // Its last layer at zero: one flat gray for every z.
  for (const [name, v] of gan.generator.store.params) if (name.startsWith('up2/')) v.assign(tf.zerosLike(v));
  // Checks a minute of training apart: an epoch end sooner after the last one is skipped.
  run(3, 60 * 3 - 1);
  assert.equal(state.collapseStreak, 0, 'skipped');
  run(3);
  assert.equal(state.collapse, null, 'one check is not enough');
  run(4);
  assert.match(
    state.collapse ?? '',
    /^collapsed at epoch 4: the generated images are nearly all alike \(pixel spread 0\.000, the real images' 0\.1\d\d\)$/,
  );
  assert.ok(said.some((l) => l.startsWith('warning: the run looks collapsed at epoch 4')));
  disposeGan(gan);
});
