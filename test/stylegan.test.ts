/**
 * The stylegan family (src/networks/stylegan.ts) and its controls (src/networks/style.ts, gantry mix / project /
 * sample --truncation --interpolate --w): demodulation, equalised learning rate, truncation, mixing, the preset's
 * training steps without leaks, a run killed with SIGKILL and resumed, projection, and the commands' errors.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { useBackend } from '../src/backend/index.js';
import { resolveConfig } from '../src/config.js';
import { batchTensor, epochOrder } from '../src/data/dataset.js';
import { loadData } from '../src/data/index.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { ParamStore } from '../src/networks/layers.js';
import type { NetworkSpec } from '../src/networks/network.js';
import { broadcastWs, layerRange, mixWs, seedWs } from '../src/networks/style.js';
import { EqualizedWeight, ModulatedConv, styleganDiscriminator, styleganGenerator } from '../src/networks/stylegan.js';
import { createGan, disposeGan } from '../src/train/gan.js';
import { latentSource } from '../src/train/sources.js';
import type { TrainState } from '../src/train/state.js';
import { trainStep } from '../src/train/step.js';
import { stepOptions } from '../src/train/wiring.js';
import { Rng } from '../src/util/random.js';
import { gantry, killAtFirstCheckpoint, tempDir } from './helpers.js';

before(async () => {
  await useBackend('wasm');
});

const spec = (overrides: Partial<NetworkSpec> = {}): NetworkSpec => ({
  latentDim: 16,
  imageSize: 32,
  channels: 3,
  numClasses: 0,
  conditioning: 'none',
  spectralNorm: 'none',
  attention: 0,
  minibatchStd: false,
  init: 'pytorch',
  gWidth: 4,
  dWidth: 4,
  ...overrides,
});

const dir = tempDir();

test('demodulation: each output map of a modulated conv has unit expected square on unit inputs, whatever the style', () => {
  const store = new ParamStore(new Rng(1));
  const conv = new ModulatedConv(store, 'm', 8, 12, 10, 3, true);
  const rng = new Rng(2);
  const [n, side] = [4, 24];
  tf.tidy(() => {
    const x = tf.tensor4d(rng.normals(n * side * side * 12), [n, side, side, 12]);
    // Styles far from 1 (scaled w): without demodulation the maps' scale would follow them.
    const w = tf.tensor2d(
      rng.normals(n * 8).map((v) => 3 * v),
      [n, 8],
    );
    const y = conv.apply(x, w);
    // Interior pixels (every tap inside the image): E[y²] = Σ (w·s)² · E[x²] = 1 after demodulation.
    const inner = tf.slice(y, [0, 1, 1, 0], [n, side - 2, side - 2, 10]);
    const perMap = Array.from(tf.mean(tf.square(inner), [1, 2]).dataSync());
    const mean = perMap.reduce((a, b) => a + b, 0) / perMap.length;
    assert.ok(Math.abs(mean - 1) < 0.05, `mean square over the maps ${mean}`);
    for (const m of perMap) assert.ok(m > 0.7 && m < 1.3, `one map's mean square ${m}`);
    // The same as modulating and demodulating the weight itself for each sample (the paper's fused form).
    const s = conv.affine.apply(w);
    for (let i = 0; i < n; i++) {
      const si = tf.reshape(tf.slice(s, [i, 0], [1, 12]), [1, 1, 12, 1]);
      const wi = tf.mul(conv.weight.value(), si);
      const norm = tf.sqrt(tf.sum(tf.square(wi), [0, 1, 2], true));
      const fused = tf.conv2d(
        tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]) as tf.Tensor4D,
        tf.div(wi, norm) as tf.Tensor4D,
        1,
        'same',
      );
      const diff = tf.max(tf.abs(tf.sub(fused, tf.slice(y, [i, 0, 0, 0], [1, -1, -1, -1])))).dataSync()[0];
      assert.ok(diff < 1e-4, `sample ${i}: non-fused and fused differ by ${diff}`);
    }
  });
  store.dispose();
});

test('equalised learning rate: weights stored as N(0, 1)/lrMul, used at lrMul/√fanIn, gradients scaled alike', () => {
  const store = new ParamStore(new Rng(3));
  for (const lrMul of [1, 0.01]) {
    const fanIn = 400;
    const weight = new EqualizedWeight(store, `w${lrMul}`, [fanIn, 50], fanIn, lrMul);
    const std = (t: tf.Tensor) => tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]));
    const stored = std(weight.variable);
    assert.ok(Math.abs(stored * lrMul - 1) < 0.03, `stored std ${stored} for lrMul ${lrMul}`);
    const used = tf.tidy(() => std(weight.value()));
    assert.ok(Math.abs(used * Math.sqrt(fanIn) - 1) < 0.03, `effective std ${used} · √fanIn`);
    assert.equal(weight.scale, lrMul / Math.sqrt(fanIn));
    // ∂L/∂stored = scale · ∂L/∂effective: Adam's steps on the stored weight move the effective one by ≈ lr·scale.
    tf.tidy(() => {
      const c = tf.randomNormal([fanIn, 50], 0, 1, 'float32', 5);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.mul(v, weight.scale), c)))(weight.variable);
      const diff = tf.max(tf.abs(tf.sub(g, tf.mul(c, weight.scale)))).dataSync()[0];
      assert.ok(diff < 1e-7, `gradient off by ${diff}`);
    });
  }
  store.dispose();
});

test('truncation: ψ = 0 gives the mean-w image for every seed, ψ = 1 the untruncated one; the mean w is tracked', () => {
  const g = styleganGenerator(spec(), 4);
  const style = g.style!;
  const z = tf.tensor2d(new Rng(5).normals(3 * 16), [3, 16]);
  const before = style.wAvg.dataSync().slice();
  for (let i = 0; i < 3; i++) tf.tidy(() => g.apply(z, { training: true }));
  assert.notDeepEqual(style.wAvg.dataSync(), before, 'training passes move the mean w');
  const frozen = style.wAvg.dataSync().slice();
  tf.tidy(() => g.apply(z, { training: true, updateStats: false }));
  tf.tidy(() => g.apply(z, { training: false, truncation: 0.5 }));
  assert.deepEqual(style.wAvg.dataSync(), frozen, 'other passes leave it');
  tf.tidy(() => {
    const zero = g.apply(z, { training: false, truncation: 0 });
    const mean = style.synthesis(broadcastWs(style, tf.reshape(style.wAvg, [1, -1]) as tf.Tensor2D));
    for (let i = 0; i < 3; i++) {
      const d = tf.max(tf.abs(tf.sub(tf.slice(zero, [i, 0, 0, 0], [1, -1, -1, -1]), mean))).dataSync()[0];
      assert.ok(d < 1e-5, `seed ${i}: ψ = 0 is the mean-w image (off by ${d})`);
    }
    const plain = g.apply(z, { training: false });
    assert.deepEqual(g.apply(z, { training: false, truncation: 1 }).dataSync(), plain.dataSync());
    const half = g.apply(z, { training: false, truncation: 0.5 });
    assert.ok(tf.max(tf.abs(tf.sub(half, plain))).dataSync()[0] > 1e-3, 'ψ = 0.5 changes the images');
  });
  z.dispose();
  g.store.dispose();
});

test('mixing at layer k takes the styles before k from the row seed and the rest from the column seed', () => {
  const g = styleganGenerator(spec(), 6);
  const style = g.style!;
  assert.equal(style.numWs, 8, '32 px: 4, 8, 16, 32 px, two ws each');
  assert.deepEqual(layerRange(style, 'coarse'), [0, 2]);
  assert.deepEqual(layerRange(style, 'middle'), [3, 7]);
  assert.deepEqual(layerRange(style, '5-7'), [5, 7]);
  assert.throws(() => layerRange(style, '3-9'), /--layers must be coarse, middle, fine or A-B with 0 ≤ A ≤ B ≤ 7/);
  assert.throws(() => layerRange(style, 'fine'), /no such layers/);
  tf.tidy(() => {
    const row = seedWs(style, [1], 16);
    const col = seedWs(style, [2], 16);
    const k = 3;
    const ws = mixWs(style, row, col, [k, style.numWs - 1]);
    const rows = tf.unstack(ws, 1);
    for (let i = 0; i < style.numWs; i++)
      assert.deepEqual(
        rows[i].dataSync(),
        (i < k ? row : col).dataSync(),
        `w ${i} from the ${i < k ? 'row' : 'column'}`,
      );
    const image = (w: tf.Tensor3D) => style.synthesis(w);
    const mixed = image(ws);
    const rowImage = image(broadcastWs(style, row));
    const colImage = image(broadcastWs(style, col));
    const dist = (a: tf.Tensor, b: tf.Tensor) => tf.mean(tf.abs(tf.sub(a, b))).dataSync()[0];
    assert.ok(dist(mixed, rowImage) > 1e-3 && dist(mixed, colImage) > 1e-3, 'the mix is neither source');
    // Every layer from the column is the column's image.
    assert.ok(dist(image(mixWs(style, row, col, [0, style.numWs - 1])), colImage) < 1e-6);
  });
  g.store.dispose();
});

test('the stylegan2 preset trains as gantry train wires it (ADA, lazy R1 apart from G, EMA): finite losses, a flat tensor count', async () => {
  const config = resolveConfig({
    preset: 'stylegan2',
    limit: 64,
    batchSize: 8,
    seed: 2,
    gWidth: 4,
    dWidth: 4,
    r1Every: 2,
    latentDim: 16,
    ada: true,
  });
  assert.deepEqual(
    [config.architecture, config.loss, config.adaKimg, config.r1Gamma > 0, config.ema > 0, config.beta1],
    ['stylegan', 'bce', 100, true, true, 0],
  );
  const data = await loadData(config);
  const gan = createGan(config);
  const rng = new Rng(4);
  const options = stepOptions(gan, config, rng, () => 0, { ada: { p: 0.3, signSum: 0, count: 0 } });
  const source = latentSource(config);
  const order = epochOrder(data.count, config.seed, 1);
  const counts: number[] = [];
  let apart = 0;
  for (let step = 1; step <= 6; step++) {
    if (options.dStepApart?.()) apart++;
    const real = batchTensor(data, order, step, 8);
    const batch = source.next(real, order, step, rng);
    const losses = trainStep(gan, gan.losses, real, batch.input, { ...options, ...batch.options });
    tf.dispose([real, ...batch.tensors]);
    assert.ok(Number.isFinite(losses.dLoss) && Number.isFinite(losses.gLoss), `step ${step}`);
    counts.push(tf.memory().numTensors);
  }
  assert.equal(apart, 3, 'every 2nd D step ran R1 apart from G');
  assert.ok(
    counts.slice(1).every((c) => c === counts[1]),
    `tensors per step ${counts}`,
  );
  disposeGan(gan);
});

test('a conditional G and projection D at 28 and 64 px: the shapes, the class changes the image, labels are required', () => {
  for (const [imageSize, channels] of [
    [28, 1],
    [64, 3],
  ] as const) {
    const s = spec({ imageSize, channels, numClasses: 3, conditioning: 'projection' });
    const g = styleganGenerator(s, 1);
    const d = styleganDiscriminator(s, 2);
    tf.tidy(() => {
      const z = tf.tensor2d(new Rng(1).normals(2 * 16), [2, 16]);
      const y = tf.tensor1d([0, 2], 'int32');
      const images = g.apply(z, { training: false }, y);
      assert.deepEqual(images.shape, [2, imageSize, imageSize, channels]);
      assert.deepEqual(d.apply(images, { training: true }, y).shape, [2, 1]);
      const other = g.apply(z, { training: false }, tf.tensor1d([1, 1], 'int32'));
      assert.ok(tf.max(tf.abs(tf.sub(images, other))).dataSync()[0] > 1e-4, 'the class changes the image');
    });
    assert.throws(() => g.apply(tf.zeros([2, 16]), { training: false }), /labels/);
    g.store.dispose();
    d.store.dispose();
  }
});

// A small MNIST stylegan2 run for the rest: trained by the CLI, killed with SIGKILL once, resumed.
const args = (out: string) => [
  'train',
  '--preset',
  'stylegan2',
  '--ada',
  '--limit',
  '96',
  '--batch-size',
  '16',
  '--epochs',
  '2',
  '--g-width',
  '4',
  '--d-width',
  '4',
  '--latent-dim',
  '16',
  '--r1-every',
  '4',
  '--ada-kimg',
  '0.2',
  '--pl-weight',
  '2',
  '--checkpoint-every',
  '3',
  '--grid-size',
  '4',
  '--backend',
  'wasm',
  '--out',
  out,
];
const reference = join(dir, 'reference');

test('a stylegan ADA + path-length run killed with SIGKILL and resumed ends with the same weights, p, mean w, mean path length and EMA', async () => {
  const straight = gantry(args(reference), dir);
  assert.equal(straight.status, 0, straight.stderr);
  const run = join(dir, 'killed');
  const killedAt = await killAtFirstCheckpoint(
    args(run),
    dir,
    run,
    (f) => readCheckpoint<TrainState>(f).state.globalStep,
  );
  assert.ok(killedAt < 12, `killed before the end (checkpoint at step ${killedAt})`);
  const resumed = gantry(['train', '--resume', run], dir);
  assert.equal(resumed.status, 0, resumed.stderr);
  const a = readCheckpoint<TrainState>(join(reference, 'checkpoint.bin'));
  const b = readCheckpoint<TrainState>(join(run, 'checkpoint.bin'));
  assert.deepEqual(b.state.ada, a.state.ada);
  assert.ok(a.state.ada!.p > 0, `p rose by itself (${a.state.ada!.p})`);
  assert.deepEqual(b.state.pathLength, a.state.pathLength);
  assert.ok(a.state.pathLength!.mean > 0, `the mean path length moved (${a.state.pathLength!.mean})`);
  for (const name of ['G/w_avg', 'G_ema/w_avg', 'G/noise_step', 'G_ema/synthesis/const'])
    assert.ok(a.tensors.has(name), `${name} is checkpointed`);
  assert.deepEqual([...b.tensors.keys()], [...a.tensors.keys()]);
  for (const [name, t] of a.tensors) assert.deepEqual(Array.from(b.tensors.get(name)!.data), Array.from(t.data), name);
});

test('gantry sample --truncation, gantry mix and --interpolate draw what the library draws', async () => {
  const grid = join(dir, 'mix.png');
  const r = gantry(
    ['mix', '--run', reference, '--rows', '1,2', '--cols', '3-5', '--layers', 'middle', '--grid', grid],
    dir,
  );
  assert.equal(r.status, 0, r.stderr);
  // tileImages: 28 px cells behind a 2 px border.
  const at = (k: number) => 2 + k * 30;
  const meta = await sharp(grid).metadata();
  assert.deepEqual([meta.width, meta.height], [at(4), at(3)], '3 rows (the column seeds on top) of 4 cells');
  const cell = async (file: string, col: number, row: number) =>
    Uint8Array.from(
      await sharp(file)
        .extract({ left: at(col), top: at(row), width: 28, height: 28 })
        .raw()
        .toBuffer(),
    );
  // The figure maps its seeds as one batch, gantry sample one at a time: the matrix kernels may round the last bit
  // differently, so a pixel may differ by one level.
  const near = (a: Uint8Array, b: Uint8Array) => a.every((v, i) => Math.abs(v - b[i]) <= 1);
  // The top row holds the column seeds' own images (gantry sample --seed s --count 1), the left column the rows'.
  for (const [j, seed] of [3, 4, 5].entries()) {
    const one = join(dir, `seed-${seed}.png`);
    assert.equal(
      gantry(['sample', '--run', reference, '--seed', String(seed), '--count', '1', '--grid', one], dir).status,
      0,
    );
    assert.ok(near(await cell(grid, j + 1, 0), await cell(one, 0, 0)), `column seed ${seed}`);
  }
  const rowSeed = join(dir, 'seed-2.png');
  assert.equal(gantry(['sample', '--run', reference, '--seed', '2', '--count', '1', '--grid', rowSeed], dir).status, 0);
  assert.ok(near(await cell(grid, 0, 2), await cell(rowSeed, 0, 0)), 'row seed 2');
  assert.ok(!near(await cell(grid, 1, 2), await cell(rowSeed, 0, 0)), 'a mixed cell differs from its row seed');
  const truncated = join(dir, 'truncated.png');
  assert.equal(
    gantry(['sample', '--run', reference, '--count', '4', '--truncation', '0', '--grid', truncated], dir).status,
    0,
  );
  assert.deepEqual(await cell(truncated, 0, 0), await cell(truncated, 1, 1), 'ψ = 0: every seed draws the mean image');
  const walk = join(dir, 'walk.webp');
  const w = gantry(['sample', '--run', reference, '--interpolate', '1-3', '--frames', '4', '--out', walk], dir);
  assert.equal(w.status, 0, w.stderr);
  const frames = await sharp(walk, { animated: true }).metadata();
  assert.equal(frames.pages, 12, '3 seeds × 4 frames');
});

test('projection of a generated image recovers it to ≥ 25 dB PSNR (the mean-w image is far below); sample --w redraws it', async () => {
  const target = join(dir, 'target');
  assert.equal(gantry(['sample', '--run', reference, '--seed', '11', '--count', '1', '--out', target], dir).status, 0);
  const out = join(dir, 'projected');
  const r = gantry(['project', join(target, '0000.png'), '--run', reference, '--out', out, '--steps', '150'], dir);
  assert.equal(r.status, 0, r.stderr);
  const psnr = Number(/PSNR ([\d.]+) dB/.exec(r.stderr)![1]);
  // The mean-w image against the target: where the search starts.
  assert.equal(
    gantry(['sample', '--run', reference, '--count', '1', '--truncation', '0', '--out', join(dir, 'mean')], dir).status,
    0,
  );
  const pixels = async (f: string) => Uint8Array.from(await sharp(f).raw().toBuffer());
  const [t, m] = [await pixels(join(target, '0000.png')), await pixels(join(dir, 'mean', '0000.png'))];
  const mse = t.reduce((a, v, i) => a + ((v - m[i]) / 255) ** 2, 0) / t.length;
  const startPsnr = 10 * Math.log10(1 / mse);
  assert.ok(psnr >= 25 && psnr >= startPsnr + 8, `projected ${psnr} dB, the mean w ${startPsnr} dB`);
  for (const f of ['projected.png', 'target.png', 'w.json', 'w.npy', 'progress.webp'])
    assert.ok(existsSync(join(out, f)), f);
  const again = join(dir, 'again.png');
  assert.equal(gantry(['sample', '--run', reference, '--w', join(out, 'w.json'), '--out', again], dir).status, 0);
  assert.ok(readFileSync(again).equals(readFileSync(join(out, 'projected.png'))), 'sample --w redraws the projection');
});

test('bad input to the style commands is a one-line error with exit code 2', async () => {
  const dcgan = join(dir, 'dcgan');
  assert.equal(
    gantry(['train', '--limit', '32', '--batch-size', '16', '--epochs', '1', '--grid-size', '4', '--out', dcgan], dir)
      .status,
    0,
  );
  const notImage = join(dir, 'notes.png');
  writeFileSync(notImage, 'not an image');
  const cases: [string[], RegExp][] = [
    [['sample', '--run', reference, '--truncation', 'abc'], /--truncation/],
    [
      ['mix', '--run', dcgan, '--rows', '1', '--cols', '2', '--grid', join(dir, 'x.png')],
      /needs a stylegan run .* architecture is dcgan/,
    ],
    [
      ['mix', '--run', reference, '--rows', '1,x', '--cols', '2', '--grid', join(dir, 'x.png')],
      /--rows takes seeds like/,
    ],
    [['project', notImage, '--run', reference, '--out', join(dir, 'p')], /notes\.png: not a readable image/],
    [['project', join(dir, 'missing.png'), '--run', reference, '--out', join(dir, 'p')], /missing\.png/],
    [['project', notImage, '--run', dcgan, '--out', join(dir, 'p')], /needs a stylegan run/],
    [['sample', '--run', reference, '--w', notImage, '--out', join(dir, 'y.png')], /not a w file of this run/],
    [['sample', '--run', reference, '--interpolate', '1-3', '--out', join(dir, 'walk.bmp')], /\.webp or \.gif/],
    [
      ['sample', '--run', dcgan, '--truncation', '0.5', '--grid', join(dir, 'z.png')],
      /--truncation needs a stylegan run/,
    ],
  ];
  for (const [argv, message] of cases) {
    const r = gantry(argv, dir);
    assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  const dry = (...flags: string[]) =>
    JSON.parse(gantry(['train', '--preset', 'stylegan2', ...flags, '--dry-run'], dir).stdout);
  assert.deepEqual([dry().ada, dry('--ada').ada, dry('--ada').adaKimg], [false, true, 100]);
  assert.equal(dry('--no-ada').ada, false, '--no-<flag> sets an on/off option off');
  const both = gantry(['train', '--ada', '--no-ada', '--dry-run'], dir);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /--ada and --no-ada go separately/);
  const plOnDcgan = gantry(['train', '--pl-weight', '2', '--dry-run'], dir);
  assert.equal(plOnDcgan.status, 2);
  assert.match(plOnDcgan.stderr, /--pl-weight needs a style-based G \(--architecture stylegan\), not dcgan/);
  const opsAlone = gantry(['train', '--preset', 'stylegan2', '--ada-ops', 'colour', '--dry-run'], dir);
  assert.equal(opsAlone.status, 2);
  assert.match(opsAlone.stderr, /^gantry train: error: --ada-ops chooses the ops of --ada or --augment-p/);
  assert.equal(dry('--ada', '--ada-ops', 'geometric,lumaflip').adaOps, 'geometric,lumaflip');
  for (const command of ['mix', 'project'])
    assert.match(gantry([command, '--help'], dir).stdout, new RegExp(`Usage: gantry ${command}[\\s\\S]*Examples:`));
});
