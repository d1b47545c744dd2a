import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { resolveConfig, type TrainConfig } from '../src/config.js';
import { batchLabels, batchTensor, epochOrder } from '../src/data/dataset.js';
import { loadData } from '../src/data/index.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { ganLoss } from '../src/losses.js';
import { DEFAULT_CONFIG, LATENT_PRESET_NAMES, PRESET_NAMES } from '../src/options.js';
import { createGan, disposeGan, ganVariables } from '../src/train/gan.js';
import { train } from '../src/train/loop.js';
import { conditionalSource, latentSource } from '../src/train/sources.js';
import { type GanLosses, trainStep } from '../src/train/step.js';
import { stepOptions } from '../src/train/wiring.js';
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
  assert.equal(config.nCritic, 1);
  assert.equal(config.beta2, 0.9);
  assert.equal(config.lr, 0.0003); // the flag wins over the preset
  assert.deepEqual(resolveConfig(config as unknown as Record<string, unknown>), config);
  assert.match(r.stderr, /preset wgan-gp: Wasserstein loss, gradient penalty/);
  assert.ok(!existsSync(join(dir, 'runs')), 'a dry run writes nothing');

  const sagan = JSON.parse(
    gantry(['train', '--preset', 'sagan', '--resolution', '32', '--dry-run'], dir).stdout,
  ) as TrainConfig;
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

/**
 * What a config can turn on beyond the reference DCGAN's step: every one a preset's config sets away from its default
 * must be seen changing that preset's steps below.
 */
const REGULARISERS = [
  'ema',
  'weightClip',
  'gpWeight',
  'r1Gamma',
  'diffAugment',
  'instanceNoise',
  'labelSmoothing',
  'nCritic',
  'optimizer',
  'spectralNorm',
  'attention',
  'minibatchStd',
  'init',
  'conditioning',
] as const satisfies readonly (keyof TrainConfig)[];
type Regulariser = (typeof REGULARISERS)[number];

/** Copies of the variables' values, by name. */
const snapshot = (vars: Iterable<[string, tf.Variable]>) =>
  new Map([...vars].map(([name, v]) => [name, (v.dataSync() as Float32Array).slice()] as const));
/** The names whose values differ between two snapshots. */
const changed = (a: Map<string, Float32Array>, b: Map<string, Float32Array>) =>
  [...a].filter(([name, x]) => x.some((value, i) => value !== b.get(name)![i])).map(([name]) => name);
const scalar = (f: () => tf.Tensor) => tf.tidy(() => f().dataSync()[0]);
const maxAbs = (vars: tf.Variable[]) => scalar(() => tf.max(tf.stack(vars.map((v) => tf.max(tf.abs(v))))));

test('every preset trains on real digits as `gantry train` wires it, each regulariser it turns on changing the steps, without NaN or leaks', async () => {
  await useBackend('auto');
  const data = await loadData(resolveConfig({ dataset: 'mnist' }));
  for (const preset of LATENT_PRESET_NAMES) {
    // Every regulariser on top of the preset's own choices, so each is exercised by a real step.
    const extra =
      preset === 'dcgan'
        ? {
            ema: 0.9,
            diffAugment: 'color,translation,cutout',
            instanceNoise: 0.1,
            r1Gamma: 1,
            r1Every: 2,
            labelSmoothing: 0.1,
            minibatchStd: true,
            init: 'normal',
          }
        : preset === 'stylegan2' || preset === 'hybrid'
          ? // Their lazy R1 (every 16 D steps) within the two steps here; narrow networks for time.
            { r1Every: 2, gWidth: 4, dWidth: 4 }
          : {};
    // conditionalSource draws the fake batch's classes from the run's class count.
    const config = resolveConfig({ preset, batchSize: 16, seed: 1, numClasses: 10, ...extra });
    const on = REGULARISERS.filter((name) => config[name] !== DEFAULT_CONFIG[name]);
    const seen = new Set<Regulariser>();
    const check = (name: Regulariser, ok: boolean, what: string) => {
      assert.ok(ok, `${preset}, ${name}: ${what}`);
      seen.add(name);
    };
    const conditional = config.conditioning !== 'none';
    const steps = config.nCritic * 2;
    const tensorsBefore = tf.memory().numTensors;
    const gan = createGan(config);
    const g = gan.generator,
      d = gan.discriminator;
    if (config.dArchitecture !== 'same')
      assert.ok(
        d.store.params.has('fromrgb/kernel') && g.store.params.has('dense/kernel'),
        `${preset}: a ${config.architecture} G and the ${config.dArchitecture} D`,
      );
    const initialG = snapshot(g.store.params);
    const spectralVectors = () => [...ganVariables(gan)].filter(([name]) => /^[GD]\/.*\/sn_u$/.test(name));
    const initialU = snapshot(spectralVectors());

    // As train() does: the step options from the config, G's input (and labels) from the run's batch source, one Rng.
    const rng = new Rng(2);
    let progress = 0;
    const regularisers = stepOptions(gan, config, rng, () => progress);
    const source = conditional ? conditionalSource(config, data) : latentSource(config);

    // Observers around the wired regularisers; each calls the wiring's own function and returns its result.
    const clipped: { before: number; after: number }[] = [];
    if (config.weightClip > 0) {
      const clip = regularisers.afterDStep;
      assert.ok(clip, `${preset}: weight clipping wires an afterDStep`);
      const params = [...d.store.params.values()];
      regularisers.afterDStep = () => {
        const before = maxAbs(params);
        clip();
        clipped.push({ before, after: maxAbs(params) });
      };
    }
    const penalties: { dStep: number; value: number | null }[] = [];
    if (config.gpWeight > 0 || config.r1Gamma > 0) {
      const penalty = regularisers.dPenalty;
      assert.ok(penalty, `${preset}: a penalty wires a dPenalty`);
      regularisers.dPenalty = (critic, real, fake) => {
        const dStep = gan.dOptimizer.step + 1;
        const p = penalty(critic, real, fake);
        penalties.push({ dStep, value: p === null ? null : p.dataSync()[0] });
        return p;
      };
    }
    const views: { augmented: number; noise: number; sigma: number }[] = [];
    if (config.diffAugment !== 'none' || config.instanceNoise > 0) {
      const view = regularisers.dInput;
      assert.ok(view, `${preset}: augmentation or noise wires a dInput`);
      regularisers.dInput = (x) => {
        // The same view without noise: the wiring again, on a copy of the run's Rng (the same augmentation draws)
        // at progress 1 (noise annealed to 0), so that augmentation and noise are each seen on their own.
        const augmented = stepOptions(gan, config, new Rng(rng.state()), () => 1).dInput!(x);
        const y = view(x);
        views.push({
          augmented: scalar(() => tf.max(tf.abs(tf.sub(augmented, x)))),
          noise: scalar(() => tf.sqrt(tf.mean(tf.square(tf.sub(y, augmented))))),
          sigma: config.instanceNoise * Math.max(0, 1 - progress),
        });
        if (augmented !== x) augmented.dispose();
        return y;
      };
    }
    // D's adversarial loss at each D step (the step's D loss less the penalty), and its difference from the unsmoothed one.
    const adversarial: number[] = [];
    const smoothing: number[] = [];
    const unsmoothed = ganLoss(config.loss);
    const losses: GanLosses = {
      ...gan.losses,
      discriminator: (r, f) => {
        const loss = gan.losses.discriminator(r, f);
        adversarial.push(loss.dataSync()[0]);
        if (config.labelSmoothing > 0) smoothing.push(scalar(() => tf.sub(loss, unsmoothed.discriminator(r, f))));
        return loss;
      },
    };

    if (config.init === 'normal') {
      const initial = snapshot([...g.store.params, ...d.store.params]);
      const kernels = [...initial].filter(([name]) => name.endsWith('/kernel')).flatMap(([, v]) => [...v]);
      const std = Math.sqrt(kernels.reduce((s, v) => s + v * v, 0) / kernels.length);
      check('init', Math.abs(std - 0.02) < 0.002, `kernels start N(0, 0.02), their std is ${std}`);
      const biases = [...initial].filter(([name]) => name.endsWith('/bias'));
      check('init', biases.length > 0 && biases.every(([, v]) => v.every((x) => x === 0)), 'biases start at 0');
    }

    const order = epochOrder(data.count, config.seed, 1);
    const counts: number[] = [];
    let dOnlySteps = 0;
    const dLosses: number[] = [];
    for (let step = 1; step <= steps; step++) {
      progress = (step - 1) / steps;
      const real = batchTensor(data, order, step, config.batchSize);
      const batch = source.next(real, order, step, rng);
      const updateG = step % config.nCritic === 0;
      if (conditional) {
        const { realLabels, fakeLabels } = batch.options;
        const truth = batchLabels(data, order, step, config.batchSize)!;
        check(
          'conditioning',
          realLabels != null && fakeLabels != null && fakeLabels.shape[0] === config.batchSize,
          'the batch carries real and fake labels',
        );
        check(
          'conditioning',
          realLabels!.dataSync().every((c, i) => c === truth.dataSync()[i]),
          "the real labels are the batch's",
        );
        check(
          'conditioning',
          fakeLabels!.dataSync().every((c) => Number.isInteger(c) && c >= 0 && c < config.numClasses),
          'fake labels are classes of the run',
        );
        truth.dispose();
      }
      const before = updateG ? null : { g: snapshot(g.store.params), d: snapshot(d.store.params) };
      const result = trainStep(gan, losses, real, batch.input, { ...regularisers, ...batch.options, updateG });
      tf.dispose([real, ...batch.tensors]);
      dLosses.push(result.dLoss);
      if (before != null) {
        dOnlySteps++;
        check(
          'nCritic',
          changed(before.g, snapshot(g.store.params)).length === 0,
          `D-only step ${step} left G's parameters alone`,
        );
        check('nCritic', changed(before.d, snapshot(d.store.params)).length > 0, `D-only step ${step} changed D`);
      }
      assert.ok(Number.isFinite(result.dLoss), `${preset}: D loss ${result.dLoss} at step ${step}`);
      if (updateG) assert.ok(Number.isFinite(result.gLoss), `${preset}: G loss ${result.gLoss}`);
      counts.push(tf.memory().numTensors);
    }
    // Flat once both optimizers have made their state (the first G step).
    const settled = counts.slice(config.nCritic - 1);
    assert.ok(
      settled.every((c) => c === settled[0]),
      `${preset}: tensors per step ${counts}`,
    );

    const names = [...ganVariables(gan).keys()];
    assert.equal(gan.gOptimizer.step, 2, `${preset}: G steps`);
    assert.equal(gan.dOptimizer.step, steps, `${preset}: D steps`);
    if (config.nCritic > 1) check('nCritic', dOnlySteps === steps - 2, `${dOnlySteps} D-only steps in ${steps}`);
    if (config.ema > 0) {
      const ema = snapshot(gan.generatorEma!.store.params),
        now = snapshot(g.store.params);
      check('ema', changed(ema, now).length > 0, "the EMA generator's weights differ from G's");
      check('ema', changed(ema, initialG).length > 0, "the EMA generator's weights moved from G's initial ones");
    }
    if (config.weightClip > 0) {
      const c = Math.fround(config.weightClip);
      check('weightClip', clipped.length === steps, `clipped after each D step (${clipped.length} of ${steps})`);
      check(
        'weightClip',
        clipped.some((m) => m.before > c),
        `some D weight exceeded ±${c} before clipping (max |w| ${clipped.map((m) => m.before)})`,
      );
      check(
        'weightClip',
        clipped.every((m) => m.after <= c) && maxAbs([...d.store.params.values()]) <= c,
        `D's weights lie in ±${c} after clipping (max |w| ${clipped.map((m) => m.after)})`,
      );
    }
    const nonZero = (p: { value: number | null }) => p.value !== null && Number.isFinite(p.value) && p.value !== 0;
    const penaltyValues = JSON.stringify(penalties);
    // The step's D loss is the adversarial loss plus the penalty, where there is one (ACGAN would add its class loss).
    const penalised = () =>
      !regularisers.acgan &&
      penalties.length === steps &&
      penalties.every((p, i) => {
        const expected = adversarial[i] + (p.value ?? 0);
        return Math.abs(dLosses[i] - expected) <= 1e-5 * (1 + Math.abs(expected));
      });
    if (config.gpWeight > 0) {
      check(
        'gpWeight',
        penalties.length === steps && penalties.every(nonZero),
        `a finite, non-zero penalty at every D step: ${penaltyValues}`,
      );
      check(
        'gpWeight',
        penalised(),
        `D's losses ${dLosses} are the adversarial ones ${adversarial} plus the penalties`,
      );
    }
    if (config.r1Gamma > 0) {
      const due = penalties.filter((p) => p.dStep % config.r1Every === 0);
      check(
        'r1Gamma',
        due.length > 0 && due.every(nonZero),
        `a finite, non-zero penalty every ${config.r1Every} D steps: ${penaltyValues}`,
      );
      check('r1Gamma', penalised(), `D's losses ${dLosses} are the adversarial ones ${adversarial} plus the penalties`);
      if (config.gpWeight === 0)
        check(
          'r1Gamma',
          penalties.every((p) => nonZero(p) === due.includes(p)),
          `no penalty between: ${penaltyValues}`,
        );
    }
    if (config.diffAugment !== 'none')
      check(
        'diffAugment',
        views.some((v) => v.augmented > 0),
        "augmentation changed D's view",
      );
    else if (views.length > 0)
      assert.ok(
        views.every((v) => v.augmented === 0),
        `${preset}: no augmentation without diffAugment`,
      );
    if (config.instanceNoise > 0) {
      const noisy = views.filter((v) => v.sigma > 0);
      const amounts = views.map((v) => `${v.noise.toFixed(4)}/${v.sigma.toFixed(4)}`).join(' ');
      check(
        'instanceNoise',
        noisy.length > 0 && noisy.every((v) => Math.abs(v.noise / v.sigma - 1) < 0.1),
        `noise of the annealed σ on D's view (rms/σ: ${amounts})`,
      );
    } else if (views.length > 0)
      // Up to float rounding: the two evaluations of one augmentation can differ in the last bits (≤ 1e-7 rms seen
      // on fastgan's fakes on the native backend); instance noise would be ~σ ≥ 1e-3.
      assert.ok(
        views.every((v) => v.noise < 1e-6),
        `${preset}: no noise without instanceNoise (${views.map((v) => v.noise).join(', ')})`,
      );
    if (config.labelSmoothing > 0)
      check(
        'labelSmoothing',
        smoothing.length === steps && smoothing.some((x) => x !== 0),
        `D's loss differs from the unsmoothed one (${smoothing})`,
      );
    if (config.optimizer === 'rmsprop') {
      const slots = snapshot([...ganVariables(gan)].filter(([name]) => /^[GD]\/rmsprop\.v\//.test(name)));
      for (const net of ['G', 'D']) {
        check(
          'optimizer',
          [...slots].some(([name, v]) => name.startsWith(`${net}/`) && v.some((x) => x > 0)),
          `${net}'s RMSprop slots hold squared gradients`,
        );
      }
    }
    if (config.spectralNorm !== 'none') {
      const moved = changed(initialU, snapshot(spectralVectors()));
      for (const net of config.spectralNorm === 'both' ? ['G', 'D'] : ['D']) {
        check(
          'spectralNorm',
          moved.some((name) => name.startsWith(`${net}/`)),
          `a spectral-norm u vector of ${net} changed (of ${[...initialU.keys()]})`,
        );
      }
      if (config.spectralNorm === 'd')
        assert.ok(!names.some((n) => n.startsWith('G/') && /sn_u/.test(n)), `${preset}: G has no spectral norm`);
      assert.ok(
        names.some((n) => n.startsWith('D/') && /sn_u/.test(n)),
        `${preset}: spectral-norm vectors are checkpointed`,
      );
    }
    if (config.attention > 0) {
      for (const net of [g, d]) {
        const gammas = [...net.store.params].filter(([name]) => /attention.*\/gamma$/.test(name));
        check(
          'attention',
          gammas.length > 0 && gammas.every(([, v]) => v.dataSync()[0] !== 0),
          `${gammas.map(([n]) => n)} moved from 0`,
        );
      }
    }
    const x = batchTensor(data, order, 1, 4);
    const labels = conditional ? tf.tensor1d([0, 1, 2, 3], 'int32') : undefined;
    // Changes of D's logits relative to their size (float rounding alone makes ~1e-7).
    const relative = (a: tf.Tensor, b: tf.Tensor) =>
      scalar(() => tf.div(tf.max(tf.abs(tf.sub(a, b))), tf.max(tf.abs(b))));
    if (config.minibatchStd) {
      // In inference mode (no batch statistics) only the minibatch std makes an image's logit depend on the others:
      // two images alone, and beside a black and a white one.
      const apart = tf.tidy(() => {
        const pair = tf.slice(x, 0, 2);
        const [, h, w, c] = x.shape;
        const extremes = tf.concat([tf.fill([1, h, w, c], -1), tf.fill([1, h, w, c], 1)]);
        const alone = d.apply(pair, { training: false }, labels && tf.slice(labels, 0, 2));
        const beside = d.apply(tf.concat([pair, extremes]) as tf.Tensor4D, { training: false }, labels);
        return relative(tf.slice(beside, 0, 2), alone);
      });
      check('minibatchStd', apart > 1e-4, `D's logits depend on the rest of the batch (relative change ${apart})`);
    }
    if (conditional) {
      const apart = tf.tidy(() =>
        relative(d.apply(x, { training: false }, tf.reverse(labels!)), d.apply(x, { training: false }, labels)),
      );
      check('conditioning', apart > 1e-3, `D's logits depend on the labels (relative change ${apart})`);
    }
    tf.dispose([x, ...(labels ? [labels] : [])]);

    const missing = on.filter((name) => !seen.has(name));
    assert.deepEqual(
      [...seen].sort(),
      [...on].sort(),
      `${preset}: the config turns on ${on.join(', ') || 'nothing'}; checked ${[...seen].join(', ') || 'nothing'}; unchecked ${missing.join(', ') || 'none'}`,
    );
    disposeGan(gan);
    assert.equal(tf.memory().numTensors, tensorsBefore, `${preset}: tensors left after disposeGan`);
  }
});

test('a run with a preset and every regulariser writes a config.json that rebuilds it, EMA samples and per-class grids', async () => {
  const runDir = join(dir, 'cgan');
  const config = resolveConfig({
    preset: 'cgan',
    epochs: 1,
    limit: 128,
    batchSize: 32,
    ema: 0.9,
    diffAugment: 'translation',
    gpWeight: 1,
    nCritic: 2,
  });
  const result = await train({ runDir, config, log: () => {}, info: () => {} });
  assert.ok(result.completed);
  const saved = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as TrainConfig;
  assert.equal(saved.numClasses, 10);
  assert.deepEqual(resolveConfig(saved as unknown as Record<string, unknown>), saved);
  assert.ok(existsSync(join(runDir, 'samples', 'classes-epoch-001.png')));
  const { tensors } = readCheckpoint(join(runDir, 'checkpoint.bin'));
  assert.ok(
    [...tensors.keys()].some((n) => n.startsWith('G_ema/')),
    'the EMA generator is checkpointed',
  );
  const metrics = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { g_loss: number | null });
  // Two D steps per G step: every other line has no G loss.
  assert.deepEqual(
    metrics.map((m) => m.g_loss === null),
    [true, false, true, false],
  );

  const sevens = gantry(
    ['sample', '--run', runDir, '--class', '7', '--count', '4', '--grid', join(dir, 'sevens.png')],
    dir,
  );
  assert.equal(sevens.status, 0, sevens.stderr);
  const outOfRange = gantry(['sample', '--run', runDir, '--class', '10'], dir);
  assert.equal(outOfRange.status, 2);
  assert.match(outOfRange.stderr, /--class must be between 0 and 9 for this run, got 10/);
});

test('a conditional preset trains on a folder with class subfolders and refuses unlabelled data', async () => {
  const folder = join(dir, 'digits');
  await makeDigitFolder(folder, 24, 3);
  const run = join(dir, 'folder-cgan');
  const r = gantry(
    [
      'train',
      '--data',
      folder,
      '--preset',
      'cgan',
      '--conditioning',
      'acgan',
      '--resolution',
      '28',
      '--channels',
      '1',
      '--epochs',
      '1',
      '--batch-size',
      '8',
      '--out',
      run,
    ],
    dir,
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal((JSON.parse(readFileSync(join(run, 'config.json'), 'utf8')) as TrainConfig).numClasses, 3);
  assert.ok(existsSync(join(run, 'samples', 'classes-epoch-001.png')));
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const flat = join(dir, 'flat');
  mkdirSync(flat);
  const { default: sharp } = await import('sharp');
  for (let i = 0; i < 4; i++)
    writeFileSync(
      join(flat, `${i}.png`),
      await sharp({ create: { width: 28, height: 28, channels: 3, background: { r: 60 * i, g: 0, b: 0 } } })
        .png()
        .toBuffer(),
    );
  const unlabelled = gantry(
    ['train', '--data', flat, '--preset', 'cgan', '--epochs', '1', '--out', join(dir, 'flat-run')],
    dir,
  );
  assert.equal(unlabelled.status, 2);
  assert.match(unlabelled.stderr, /needs labelled data/);
});

test('a run with every stateful option (WGAN-GP, n_critic, lazy R1, spectral norm, EMA, augmentation, noise) resumes exactly', async () => {
  const config = resolveConfig({
    preset: 'wgan-gp',
    nCritic: 2,
    r1Gamma: 1,
    r1Every: 3,
    spectralNorm: 'd',
    ema: 0.99,
    diffAugment: 'color,translation,cutout',
    instanceNoise: 0.1,
    limit: 96,
    batchSize: 16,
    epochs: 2,
    backend: 'wasm',
    checkpointEvery: 2,
    sampleGridSize: 4,
  });
  const straight = join(dir, 'straight');
  assert.ok((await train({ runDir: straight, config })).completed);
  const resumed = join(dir, 'resumed');
  let steps = 0;
  assert.equal((await train({ runDir: resumed, config, shouldStop: () => ++steps === 5 })).completed, false);
  assert.ok((await train({ runDir: resumed, resume: true })).completed);
  const a = readCheckpoint(join(straight, 'checkpoint.bin')).tensors,
    b = readCheckpoint(join(resumed, 'checkpoint.bin')).tensors;
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [name, t] of a) assert.deepEqual(Array.from(b.get(name)!.data), Array.from(t.data), name);
  const losses = (run: string) => readFileSync(join(run, 'metrics.jsonl'), 'utf8').replace(/"step_ms":[\d.]+,/g, '');
  assert.equal(losses(resumed), losses(straight));
});
