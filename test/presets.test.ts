import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { useBackend } from '../src/backend/index.js';
import { resolveConfig, type TrainConfig } from '../src/config.js';
import { LATENT_PRESET_NAMES, PRESET_NAMES } from '../src/options.js';
import { batchLabels, batchTensor, epochOrder } from '../src/data/dataset.js';
import { loadData } from '../src/data/index.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { createGan, disposeGan, ganVariables } from '../src/train/gan.js';
import { train } from '../src/train/loop.js';
import { trainStep } from '../src/train/step.js';
import { Rng } from '../src/util/random.js';
import { gantry, makeDigitFolder, tempDir } from './helpers.js';

const dir = tempDir();

test('--dry-run prints the resolved preset with flags applied; unknown presets and keys are one-line errors listing the valid ones', () => {
  const r = gantry(['train', '--preset', 'wgan-gp', '--lr', '0.0003', '--dry-run'], dir);
  assert.equal(r.status, 0, r.stderr);
  const config = JSON.parse(r.stdout) as TrainConfig;
  assert.equal(config.preset, 'wgan-gp');
  assert.equal(config.loss, 'wgan');
  assert.equal(config.gpWeight, 10);
  assert.equal(config.nCritic, 5);
  assert.equal(config.beta1, 0);
  assert.equal(config.lr, 0.0003); // the flag wins over the preset
  assert.deepEqual(resolveConfig(config as unknown as Record<string, unknown>), config);
  assert.match(r.stderr, /preset wgan-gp: Wasserstein loss, gradient penalty/);
  assert.ok(!existsSync(join(dir, 'runs')), 'a dry run writes nothing');

  const sagan = JSON.parse(gantry(['train', '--preset', 'sagan', '--resolution', '32', '--dry-run'], dir).stdout) as TrainConfig;
  assert.equal(sagan.attention, 16);

  const unknown = gantry(['train', '--preset', 'bigan'], dir);
  assert.equal(unknown.status, 2);
  assert.equal(unknown.stderr.trim().split('\n').length, 1);
  assert.match(unknown.stderr, new RegExp(`--preset must be one of ${PRESET_NAMES.join(', ')}`));
  assert.throws(() => resolveConfig({ gpWeigth: 10 }), /unknown config key 'gpWeigth' \(valid: .*gpWeight/);
  const typo = gantry(['train', '--gp-weigth', '10'], dir);
  assert.equal(typo.status, 2);
  assert.match(typo.stderr, /unknown option --gp-weigth \(did you mean --gp-weight\?\)/);
  const badList = gantry(['train', '--diff-augment', 'color,flip'], dir);
  assert.equal(badList.status, 2);
  assert.match(badList.stderr, /diffAugment must be none or a comma list of color, translation, cutout/);
  const attention = gantry(['train', '--attention', '9'], dir);
  assert.equal(attention.status, 2);
  assert.match(attention.stderr, /attention must be 0 or a feature-map side of the networks: 14 or 7/);
});

test('every preset trains on real digits without NaN, with a flat tensor count, and checkpoints what it needs', async () => {
  await useBackend('auto');
  const data = await loadData(resolveConfig({ dataset: 'mnist' }));
  for (const preset of LATENT_PRESET_NAMES) {
    // Every regulariser on top of the preset's own choices, so each is exercised by a real step.
    const extra = preset === 'dcgan' ? { ema: 0.9, diffAugment: 'color,translation,cutout', instanceNoise: 0.1, r1Gamma: 1, r1Every: 2, labelSmoothing: 0.1, minibatchStd: true, init: 'normal' } : {};
    const config = resolveConfig({ preset, batchSize: 16, seed: 1, numClasses: 10, ...extra });
    const gan = createGan(config);
    const order = epochOrder(data.count, config.seed, 1);
    const rng = new Rng(2);
    const counts: number[] = [];
    const conditional = config.conditioning !== 'none';
    for (let step = 1; step <= config.nCritic * 2; step++) {
      const real = batchTensor(data, order, step, 16);
      const z = tf.tensor2d(rng.normals(16 * config.latentDim), [16, config.latentDim]);
      const labels = conditional ? batchLabels(data, order, step, 16)! : undefined;
      const losses = trainStep(gan, gan.losses, real, z, { realLabels: labels, fakeLabels: labels, updateG: step % config.nCritic === 0, acgan: config.conditioning === 'acgan' });
      tf.dispose([real, z, ...(labels ? [labels] : [])]);
      assert.ok(Number.isFinite(losses.dLoss), `${preset}: D loss ${losses.dLoss} at step ${step}`);
      if (step % config.nCritic === 0) assert.ok(Number.isFinite(losses.gLoss), `${preset}: G loss ${losses.gLoss}`);
      counts.push(tf.memory().numTensors);
    }
    // Flat once both optimizers have made their state (the first G step).
    const settled = counts.slice(config.nCritic - 1);
    assert.ok(settled.every((c) => c === settled[0]), `${preset}: tensors per step ${counts}`);
    const names = [...ganVariables(gan).keys()];
    if (config.optimizer === 'rmsprop') assert.ok(names.some((n) => n.startsWith('D/rmsprop.v/')), preset);
    if (config.spectralNorm !== 'none') assert.ok(names.some((n) => n.startsWith('D/') && /sn_u/.test(n)), `${preset}: spectral-norm vectors are checkpointed`);
    disposeGan(gan);
  }
});

test('a run with a preset and every regulariser writes a config.json that rebuilds it, EMA samples and per-class grids', async () => {
  const runDir = join(dir, 'cgan');
  const config = resolveConfig({ preset: 'cgan', epochs: 1, limit: 128, batchSize: 32, ema: 0.9, diffAugment: 'translation', gpWeight: 1, nCritic: 2 });
  const result = await train({ runDir, config, log: () => {}, info: () => {} });
  assert.ok(result.completed);
  const saved = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as TrainConfig;
  assert.equal(saved.numClasses, 10);
  assert.deepEqual(resolveConfig(saved as unknown as Record<string, unknown>), saved);
  assert.ok(existsSync(join(runDir, 'samples', 'classes-epoch-001.png')));
  const { tensors } = readCheckpoint(join(runDir, 'checkpoint.bin'));
  assert.ok([...tensors.keys()].some((n) => n.startsWith('G_ema/')), 'the EMA generator is checkpointed');
  const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { g_loss: number | null });
  // Two D steps per G step: every other line has no G loss.
  assert.deepEqual(metrics.map((m) => m.g_loss === null), [true, false, true, false]);

  const sevens = gantry(['sample', '--run', runDir, '--class', '7', '--count', '4', '--grid', join(dir, 'sevens.png')], dir);
  assert.equal(sevens.status, 0, sevens.stderr);
  const outOfRange = gantry(['sample', '--run', runDir, '--class', '10'], dir);
  assert.equal(outOfRange.status, 2);
  assert.match(outOfRange.stderr, /--class must be between 0 and 9 for this run, got 10/);
});

test('a conditional preset trains on a folder with class subfolders and refuses unlabelled data', async () => {
  const folder = join(dir, 'digits');
  await makeDigitFolder(folder, 24, 3);
  const run = join(dir, 'folder-cgan');
  const r = gantry(['train', '--data', folder, '--preset', 'cgan', '--conditioning', 'acgan', '--resolution', '28', '--channels', '1', '--epochs', '1', '--batch-size', '8', '--out', run], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as TrainConfig).numClasses, 3);
  assert.ok(existsSync(join(run, 'samples', 'classes-epoch-001.png')));
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const flat = join(dir, 'flat');
  mkdirSync(flat);
  const { default: sharp } = await import('sharp');
  for (let i = 0; i < 4; i++) writeFileSync(join(flat, `${i}.png`), await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 60 * i, g: 0, b: 0 } } }).png().toBuffer());
  const unlabelled = gantry(['train', '--data', flat, '--preset', 'cgan', '--epochs', '1', '--out', join(dir, 'flat-run')], dir);
  assert.equal(unlabelled.status, 2);
  assert.match(unlabelled.stderr, /needs labelled data/);
});

test('a run with every stateful option (WGAN-GP, n_critic, lazy R1, spectral norm, EMA, augmentation, noise) resumes exactly', async () => {
  const config = resolveConfig({
    preset: 'wgan-gp', nCritic: 2, r1Gamma: 1, r1Every: 3, spectralNorm: 'd', ema: 0.99, diffAugment: 'color,translation,cutout',
    instanceNoise: 0.1, limit: 96, batchSize: 16, epochs: 2, backend: 'wasm', checkpointEvery: 2, sampleGridSize: 4,
  });
  const straight = join(dir, 'straight');
  assert.ok((await train({ runDir: straight, config })).completed);
  const resumed = join(dir, 'resumed');
  let steps = 0;
  assert.equal((await train({ runDir: resumed, config, shouldStop: () => ++steps === 5 })).completed, false);
  assert.ok((await train({ runDir: resumed, resume: true })).completed);
  const a = readCheckpoint(join(straight, 'checkpoint.bin')).tensors, b = readCheckpoint(join(resumed, 'checkpoint.bin')).tensors;
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [name, t] of a) assert.deepEqual(Array.from(b.get(name)!.data), Array.from(t.data), name);
  const losses = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').replace(/"step_ms":[\d.]+,/g, '');
  assert.equal(losses(resumed), losses(straight));
});
