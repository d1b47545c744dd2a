/**
 * Epoch hooks (plugins.ts): the sample grid from fixed noise, the grid of one row per class, the pair grid and
 * held-out PSNR/SSIM of image-to-image runs, FID (and KID, IS, modes) every --eval-every epochs, the collapse watch
 * of runs that do not evaluate, the export of the generator as a tfjs-layers model, and ADA's p.
 */
import { join } from 'node:path';
import { classCount, type TrainConfig } from '../config.js';
import type { ImageDataset } from '../data/dataset.js';
import { evaluateHeldOut, writePairGrid } from '../image2image/training.js';
import { exportGenerator } from '../io/export.js';
import { writeFileAtomic } from '../io/files.js';
import { linePlot } from '../io/plot.js';
import { encodePng } from '../io/png.js';
import type { EvalResult } from '../metrics/evaluate.js';
import {
  collapseSign,
  conditionalSpreads,
  pixelSpread,
  spreadsOf,
  type TrainingEvaluator,
} from '../metrics/training_eval.js';
import { generateImages, generationLabels, latentNoise } from '../networks/generate.js';
import { tileImages } from '../util/pixels.js';
import { deriveSeed } from '../util/random.js';
import { refreshEmaStatistics, samplingGenerator } from './gan.js';
import type { EpochContext, EpochHook } from './plugins.js';

const gridName = (epoch: number) => `epoch-${String(epoch).padStart(3, '0')}.png`;
/**
 * Whether a run that evaluates (--eval-every N epochs or minutes) does so at this point: every N epochs, at the
 * first epoch end N minutes after the last evaluation, and at the end (last epoch, time budget); marks it done.
 */
function evaluated({ config, epoch, final, seconds, state }: EpochContext): boolean {
  if (config.evalEvery <= 0 && config.evalMinutes <= 0) return false;
  const due =
    final ||
    (config.evalEvery > 0 && epoch % config.evalEvery === 0) ||
    (config.evalMinutes > 0 && seconds - (state.evaluatedSeconds ?? 0) >= config.evalMinutes * 60);
  if (due) state.evaluatedSeconds = seconds;
  return due;
}

function writeGrid(file: string, images: Uint8Array, n: number, config: TrainConfig, columns: number): void {
  const grid = tileImages(images, n, config.imageSize, config.imageSize, config.channels, columns);
  writeFileAtomic(file, encodePng(grid.width, grid.height, config.channels as 1 | 3, grid.pixels));
}

/** The EMA generator's BatchNorm statistics, measured before anything samples from it this epoch. */
export const emaStatistics: EpochHook = ({ gan, config, epoch }) => {
  refreshEmaStatistics(gan, config, `standing-statistics-${epoch}`);
  return undefined;
};

/** samples/epoch-NNN.png: the sampling generator on the run's fixed grid noise. */
export function sampleGrid(config: TrainConfig): EpochHook {
  const gridNoise = latentNoise(deriveSeed(config.seed, 'sample-grid'), config.sampleGridSize, config.latentDim);
  return ({ gan, runDir, epoch }) => {
    const images = generateImages(
      samplingGenerator(gan),
      gridNoise,
      config.latentDim,
      generationLabels(config, config.sampleGridSize),
    );
    writeGrid(
      join(runDir, 'samples', gridName(epoch)),
      images,
      config.sampleGridSize,
      config,
      Math.round(Math.sqrt(config.sampleGridSize)),
    );
    return undefined;
  };
}

/** samples/classes-epoch-NNN.png: one row a class, the same noise down each column. */
export function classGrid(config: TrainConfig): EpochHook {
  const side = Math.round(Math.sqrt(config.sampleGridSize));
  const gridNoise = latentNoise(deriveSeed(config.seed, 'sample-grid'), config.sampleGridSize, config.latentDim);
  return ({ gan, runDir, epoch }) => {
    const k = classCount(config),
      perClass = Math.min(10, side * 2);
    const z = new Float32Array(k * perClass * config.latentDim);
    for (let row = 0; row < k; row++)
      z.set(gridNoise.subarray(0, perClass * config.latentDim), row * perClass * config.latentDim);
    const labels = Int32Array.from({ length: k * perClass }, (_, i) => Math.floor(i / perClass));
    const images = generateImages(samplingGenerator(gan), z, config.latentDim, labels);
    writeGrid(join(runDir, 'samples', `classes-${gridName(epoch)}`), images, k * perClass, config, perClass);
    return undefined;
  };
}

/** generator/: the sampling generator as a tfjs-layers model, where its options give it one. */
export const exportLayers: EpochHook = async ({ gan, config, runDir, epoch }) => {
  const generator = samplingGenerator(gan);
  if (generator.layers == null) return undefined; // sampling works from the checkpoint
  await exportGenerator(generator, join(runDir, 'generator'), {
    architecture: config.architecture,
    latentDim: config.latentDim,
    imageSize: config.imageSize,
    channels: config.channels,
    epoch,
  });
  return undefined;
};

/** FID and friends every --eval-every epochs (and at the last); fid.png; the best epoch's checkpoint is kept. */
export function fidEvaluation(evaluator: TrainingEvaluator): EpochHook {
  return (context) => {
    const { gan, runDir, epoch, state, info, record } = context;
    if (!evaluated(context)) return undefined;
    const { warnings, ...result } = evaluator.evaluate(samplingGenerator(gan));
    for (const w of warnings) info(`warning: ${w}`);
    record({ epoch, global_step: state.globalStep, seconds: Math.round(context.seconds), eval: result });
    const fid = result.fid!;
    info(`epoch ${epoch}: FID ${fid.toFixed(3)}, KID ${result.kid!.toFixed(5)}, IS ${result.is?.toFixed(3) ?? '-'}`);
    noteCollapse(context, result);
    state.fidHistory.push([epoch, fid]);
    writeFileAtomic(join(runDir, 'fid.png'), linePlot(state.fidHistory, 'FID per epoch'));
    const best = state.bestFid == null || fid < state.bestFid;
    if (best) state.bestFid = fid;
    return { best };
  };
}

/** Two checks in a row that look collapsed: the log and status.json say so (a later healthy one clears it). */
function noteCollapse({ state, epoch, info }: EpochContext, result: Omit<EvalResult, 'warnings'>): void {
  const sign = collapseSign(result);
  state.collapseStreak = sign == null ? 0 : (state.collapseStreak ?? 0) + 1;
  state.collapse = sign != null && state.collapseStreak >= 2 ? `collapsed at epoch ${epoch}: ${sign}` : null;
  if (state.collapse != null) info(`warning: the run looks ${state.collapse}`);
}

/** Images the collapse watch draws, and the training seconds between its checks. */
const WATCH_COUNT = 128;
const WATCH_SECONDS = 60;

/**
 * For a run that does not evaluate (the default, and `--data DIR --time-budget`): at the first epoch end after each
 * minute of training, the pixel spread of 128 images from fixed noise (within each class for a conditional G)
 * against the training images' own. No classifier needed (a 64 px fastgan draws them in ~1 s); the same rule and
 * messages as the evaluations' (collapseSign).
 */
export function collapseWatch(config: TrainConfig, data: ImageDataset): EpochHook {
  const count = Math.min(WATCH_COUNT, data.count);
  const real = spreadsOf(data, count);
  const z = latentNoise(deriveSeed(config.seed, 'collapse-watch'), count, config.latentDim);
  let last = Number.NEGATIVE_INFINITY;
  return (context) => {
    if (!context.final && context.seconds - last < WATCH_SECONDS) return undefined;
    last = context.seconds;
    const labels = generationLabels(config, count);
    const images = generateImages(samplingGenerator(context.gan), z, config.latentDim, labels);
    const protocol = { extractor: 'none', reference: data.name, real_count: count, generated_count: count };
    noteCollapse(context, {
      protocol,
      spread: pixelSpread(images, count),
      ...(labels != null ? conditionalSpreads(images, labels) : {}),
      ...real,
    });
    return undefined;
  };
}

/** ada.png: ADA's p at each epoch's end (kept in the checkpointed state, so a resumed run's plot goes on). */
export const adaPlot: EpochHook = ({ state, runDir, epoch }) => {
  if (state.ada == null) return undefined;
  state.ada.history.push([epoch, state.ada.p]);
  writeFileAtomic(join(runDir, 'ada.png'), linePlot(state.ada.history, 'ADA p per epoch'));
  return undefined;
};

/** samples/epoch-NNN.png of an image-to-image run: rows of held-out inputs, G's outputs and the truth. */
export function pairGrid(heldOut: ImageDataset): EpochHook {
  return ({ gan, config, runDir, epoch }) => {
    writePairGrid(gan.generator, config, heldOut, runDir, epoch);
    return undefined;
  };
}

/** PSNR and SSIM on the held-out images against the task's baseline, every --eval-every epochs. */
export function heldOutEvaluation(heldOut: ImageDataset): EpochHook {
  return (context) => {
    const { gan, config, epoch, state, info, record } = context;
    if (!evaluated(context)) return undefined;
    const scores = evaluateHeldOut(gan.generator, config, heldOut);
    record({ epoch, global_step: state.globalStep, seconds: Math.round(context.seconds), eval: scores });
    info(
      `epoch ${epoch}: held-out PSNR ${scores.psnr.toFixed(2)} dB, SSIM ${scores.ssim.toFixed(4)} (baseline ${scores.baseline_psnr.toFixed(2)} dB, ${scores.baseline_ssim.toFixed(4)})`,
    );
    return undefined;
  };
}
