/**
 * The training loop: epochs of steps over a data set, with loss logging, per-epoch sample grids, atomic
 * checkpoints and the exported generator in a run folder. It knows no architecture or loss: those come
 * from the config through createGan.
 *
 * Run folder: config.json, metrics.jsonl, samples/epoch-NNN.png, checkpoint.bin, generator/model.json.
 */
import * as tf from '@tensorflow/tfjs';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nativeLibrariesInUse, useBackend } from '../backend/index.js';
import { parseSavedConfig, resolveConfig, type TrainConfig } from '../config.js';
import { datasetHash, loadData } from '../data/index.js';
import { DataError } from '../data/errors.js';
import { defaultCacheDir } from '../data/idx_sets.js';
import { linePlot } from '../io/plot.js';
import { createTrainingEvaluator } from '../metrics/training_eval.js';
import { batchLabels, batchTensor, epochOrder, limitDataset, stepsPerEpoch } from '../data/dataset.js';
import { readCheckpoint, writeCheckpoint } from '../io/checkpoint.js';
import { exportGenerator } from '../io/export.js';
import { writeFileAtomic } from '../io/files.js';
import { encodePng } from '../io/png.js';
import { tileImages } from '../util/pixels.js';
import { deriveSeed, Rng } from '../util/random.js';
import { diffAugment, instanceNoise } from './augment.js';
import { standingStatistics, updateEma } from './ema.js';
import { assignVariables, createGan, disposeGan, ganVariables, readVariables, samplingGenerator, type Gan } from './gan.js';
import { evaluateHeldOut, loadTaskData, taskGeneratorTerm, taskInput, writePairGrid } from '../image2image/training.js';
import { gradientPenalty, r1Penalty } from './penalties.js';
import { generateImages, generationLabels, latentNoise } from '../networks/generate.js';
import { CHECKPOINT_FILE, writeRunStatus, type RunStatus, type TrainState } from './state.js';
import { trainStep, type StepOptions } from './step.js';

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  globalStep: number;
  totalSteps: number;
  stepsPerSecond: number;
  etaSeconds: number;
  dLoss: number;
  gLoss: number;
}

export interface TrainOptions {
  runDir: string;
  /** The config of a new run. */
  config?: TrainConfig;
  /** Continue the run in runDir from its checkpoint, optionally changing these fields. */
  resume?: boolean;
  resumeOverrides?: Partial<Pick<TrainConfig, 'epochs' | 'backend' | 'logEvery' | 'checkpointEvery' | 'evalEvery' | 'evalCount' | 'evalFeatures'>>;
  /** Loss lines ("Epoch [e/E], Step [i/N], D_loss: …"). */
  log?: (line: string) => void;
  /** Notices (backend in use, data warnings). */
  info?: (line: string) => void;
  /** Progress of the first decoding of an image folder. */
  dataProgress?: (done: number, total: number) => void;
  /** Where image folders are cached (default: gantry's cache folder). */
  cacheDir?: string;
  progress?: (p: Progress) => void;
  /** Polled after each step; true stops the run after writing a checkpoint. */
  shouldStop?: () => boolean;
}

export interface TrainResult {
  runDir: string;
  backend: string;
  globalStep: number;
  completed: boolean;
}

/** A loss became NaN or infinite: the run stops (its last checkpoint is the end of the previous epoch). */
export class TrainingDivergedError extends Error {}

export function formatLossLine(epoch: number, epochs: number, step: number, steps: number, dLoss: number, gLoss: number): string {
  return `Epoch [${epoch}/${epochs}], Step [${step}/${steps}], D_loss: ${dLoss.toFixed(4)}, G_loss: ${gLoss.toFixed(4)}`;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { runDir } = options;
  const info = options.info ?? (() => {});
  const checkpointPath = join(runDir, CHECKPOINT_FILE);
  const metricsPath = join(runDir, 'metrics.jsonl');

  let state: TrainState;
  let stored: ReturnType<typeof readCheckpoint<TrainState>>['tensors'] | null = null;
  if (options.resume) {
    const checkpoint = readCheckpoint<TrainState>(checkpointPath);
    const saved = parseSavedConfig(checkpoint.state.config, checkpointPath);
    state = { ...checkpoint.state, config: resolveConfig({ ...saved, ...options.resumeOverrides }) };
    stored = checkpoint.tensors;
  } else {
    if (options.config == null) throw new Error('train: a new run needs a config');
    const config = { ...options.config };
    state = {
      config, backend: '', epoch: 1, step: 0, globalStep: 0, gOptimizerStep: 0, dOptimizerStep: 0,
      noiseRng: new Rng(deriveSeed(config.seed, 'noise')).state(), metricsBytes: 0, fidHistory: [], bestFid: null,
    };
  }
  const config = state.config;

  const backend = await useBackend(config.backend);
  if (options.resume && state.backend !== backend) {
    info(`note: this run trained on '${state.backend}' and continues on '${backend}'; results will differ slightly from an uninterrupted run`);
  }
  state.backend = backend;
  const hooks = { cacheDir: options.cacheDir ?? defaultCacheDir(), warn: (m: string) => info(`warning: ${m}`), progress: options.dataProgress };
  // Image-to-image runs keep a fixed held-out split for their PSNR/SSIM and sample grids.
  const taskData = config.task === 'none' ? null : await loadTaskData(config, hooks);
  const data = limitDataset(taskData?.train ?? await loadData(config, hooks), config.limit);
  const hash = datasetHash(data);
  if (options.resume && config.dataHash != null && config.dataHash !== hash) {
    throw new DataError(`${runDir} was trained on other data (hash ${config.dataHash}); ${data.name} now has hash ${hash}`);
  }
  config.dataHash = hash;
  if (config.conditioning !== 'none') {
    if (data.labels == null) throw new DataError(`--conditioning ${config.conditioning} (preset ${config.preset}) needs labelled data; ${data.name} has no labels (image folders: one subfolder per class)`);
    const classes = data.classNames?.length ?? Math.max(...data.labels) + 1;
    if (options.resume && config.numClasses !== classes) throw new DataError(`${runDir} was trained on ${config.numClasses} classes; ${data.name} has ${classes}`);
    if (classes < 2) throw new DataError(`a conditional GAN needs at least 2 classes; ${data.name} has ${classes}`);
    config.numClasses = classes;
  }
  const examples = data.count * (config.mirror ? 2 : 1);
  const steps = stepsPerEpoch(examples, config.batchSize);

  state.fidHistory ??= [];
  state.bestFid ??= null;
  const evaluator = config.evalEvery > 0 && taskData == null ? await createTrainingEvaluator(config, data, options.cacheDir ?? defaultCacheDir()) : null;
  const gan = createGan(config);
  const variables = ganVariables(gan);
  const startedAt = new Date().toISOString();
  let outcome: Pick<RunStatus, 'state' | 'error'> = { state: 'failed' };
  const finish = (completed: boolean): TrainResult => {
    outcome = { state: completed ? 'finished' : 'stopped' };
    return { runDir, backend, globalStep: state.globalStep, completed };
  };
  try {
    if (stored != null) {
      assignVariables(variables, stored, checkpointPath);
      gan.gOptimizer.step = state.gOptimizerStep;
      gan.dOptimizer.step = state.dOptimizerStep;
      if (existsSync(metricsPath) && statSync(metricsPath).size > state.metricsBytes) truncateSync(metricsPath, state.metricsBytes);
      // config.json shows what the run now does (e.g. more --epochs than it started with).
      writeFileAtomic(join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      info(state.epoch > config.epochs
        ? `${runDir} already finished its ${config.epochs} epoch(s); pass --epochs N to train further`
        : `resuming ${runDir} at epoch ${state.epoch}, step ${state.step}/${steps} (backend ${backend})`);
    } else {
      mkdirSync(join(runDir, 'samples'), { recursive: true });
      writeFileAtomic(join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      writeFileSync(metricsPath, '');
      const task = taskData ? ` for --task ${config.task} (${taskData.heldOut.count} held out)` : '';
      info(`training ${config.architecture}${task} on ${data.name} (${data.count} images${config.mirror ? ' and their mirror images' : ''}, ${data.width}×${data.height}×${data.channels}, ${steps} steps an epoch) with backend ${backend === 'native' ? `native (${nativeLibrariesInUse().join(', ')})` : backend} into ${runDir}`);
    }

    writeRunStatus(runDir, { state: 'training', pid: process.pid, started: startedAt, updated: startedAt });
    const noise = new Rng(state.noiseRng);
    const gridNoise = latentNoise(deriveSeed(config.seed, 'sample-grid'), config.sampleGridSize, config.latentDim);
    const saveCheckpoint = () => {
      // Mid-epoch, the EMA generator still holds G's BatchNorm statistics: measure its own, so that sampling from
      // this checkpoint matches the epoch-end ones (training overwrites them at the next step: no other effect).
      if (gan.generatorEma != null && state.step > 0) {
        standingStatistics(gan.generatorEma, config.latentDim, config.conditioning === 'none' ? 0 : config.numClasses, deriveSeed(config.seed, `standing-statistics-${state.epoch}-${state.step}`));
      }
      state.noiseRng = noise.state();
      state.gOptimizerStep = gan.gOptimizer.step;
      state.dOptimizerStep = gan.dOptimizer.step;
      state.metricsBytes = existsSync(metricsPath) ? statSync(metricsPath).size : 0;
      writeCheckpoint(checkpointPath, state, readVariables(variables));
    };

    const totalSteps = steps * config.epochs;
    const stepOptions = trainingOptions(gan, config, noise, () => state.globalStep / totalSteps);
    let lastGLoss = Number.NaN;
    const started = performance.now();
    const startStep = state.globalStep;
    let stopping = false;
    while (state.epoch <= config.epochs) {
      const order = epochOrder(examples, config.seed, state.epoch);
      while (state.step < steps) {
        const stepStart = performance.now();
        const real = batchTensor(data, order, state.step + 1, config.batchSize);
        // G's input: latent noise, or (image-to-image) the input made from the real batch, which D also sees.
        const condition = taskData ? taskInput(config, data, order, state.step + 1, real, noise) : undefined;
        const z = condition ?? tf.tensor2d(noise.normals(real.shape[0] * config.latentDim), [real.shape[0], config.latentDim]);
        const conditional = config.conditioning !== 'none';
        const realLabels = conditional ? batchLabels(data, order, state.step + 1, config.batchSize)! : undefined;
        const fakeLabels = conditional ? tf.tensor1d(Int32Array.from({ length: real.shape[0] }, () => noise.int(config.numClasses)), 'int32') : undefined;
        const updateG = (state.globalStep + 1) % config.nCritic === 0;
        const taskOptions = condition ? { condition, generatorTerm: taskGeneratorTerm(gan, config, condition) } : {};
        const losses = trainStep(gan, gan.losses, real, z, { ...stepOptions, ...taskOptions, realLabels, fakeLabels, updateG });
        tf.dispose([real, z, ...(realLabels ? [realLabels] : []), ...(fakeLabels ? [fakeLabels] : [])]);
        if (!Number.isNaN(losses.gLoss)) lastGLoss = losses.gLoss;
        if (!Number.isFinite(losses.dLoss) || (updateG && !Number.isFinite(losses.gLoss))) {
          throw new TrainingDivergedError(`training diverged at epoch ${state.epoch}, step ${state.step + 1}: D loss ${losses.dLoss}, G loss ${losses.gLoss} (try a lower --lr or another --preset)`);
        }
        state.step++;
        state.globalStep++;
        const stepMs = performance.now() - stepStart;
        appendFileSync(metricsPath, `${JSON.stringify({
          epoch: state.epoch, step: state.step, global_step: state.globalStep,
          d_loss: losses.dLoss, g_loss: updateG ? losses.gLoss : null, step_ms: Math.round(stepMs * 10) / 10, images: real.shape[0],
        })}\n`);
        if (state.step % config.logEvery === 0 || state.step === steps) {
          options.log?.(formatLossLine(state.epoch, config.epochs, state.step, steps, losses.dLoss, lastGLoss));
        }
        const done = state.globalStep - startStep;
        const rate = done / ((performance.now() - started) / 1000);
        options.progress?.({
          epoch: state.epoch, epochs: config.epochs, step: state.step, steps, globalStep: state.globalStep, totalSteps,
          stepsPerSecond: rate, etaSeconds: (totalSteps - state.globalStep) / rate, dLoss: losses.dLoss, gLoss: lastGLoss,
        });
        // Let signal handlers (Ctrl-C) and stream writes run: a step is synchronous.
        await new Promise((resolveTick) => setImmediate(resolveTick));
        stopping = options.shouldStop?.() ?? false;
        if (state.step < steps && (stopping || (config.checkpointEvery > 0 && state.globalStep % config.checkpointEvery === 0))) {
          saveCheckpoint();
        }
        if (stopping && state.step < steps) return finish(false);
      }
      if (taskData) {
        writePairGrid(gan.generator, config, taskData.heldOut, runDir, state.epoch);
        if (config.evalEvery > 0 && (state.epoch % config.evalEvery === 0 || state.epoch === config.epochs)) {
          const scores = evaluateHeldOut(gan.generator, config, taskData.heldOut);
          appendFileSync(metricsPath, `${JSON.stringify({ epoch: state.epoch, global_step: state.globalStep, eval: scores })}\n`);
          info(`epoch ${state.epoch}: held-out PSNR ${scores.psnr.toFixed(2)} dB, SSIM ${scores.ssim.toFixed(4)} (baseline ${scores.baseline_psnr.toFixed(2)} dB, ${scores.baseline_ssim.toFixed(4)})`);
        }
      } else {
        await endOfEpoch(gan, config, runDir, state.epoch, gridNoise);
      }
      let best = false;
      if (evaluator != null && (state.epoch % config.evalEvery === 0 || state.epoch === config.epochs)) {
        const { warnings, ...result } = evaluator.evaluate(samplingGenerator(gan));
        for (const w of warnings) info(`warning: ${w}`);
        appendFileSync(metricsPath, `${JSON.stringify({ epoch: state.epoch, global_step: state.globalStep, eval: result })}\n`);
        info(`epoch ${state.epoch}: FID ${result.fid!.toFixed(3)}, KID ${result.kid!.toFixed(5)}, IS ${result.is?.toFixed(3) ?? '-'}`);
        state.fidHistory.push([state.epoch, result.fid!]);
        writeFileAtomic(join(runDir, 'fid.png'), linePlot(state.fidHistory, 'FID per epoch'));
        best = state.bestFid == null || result.fid! < state.bestFid;
        if (best) state.bestFid = result.fid!;
      }
      state.epoch++;
      state.step = 0;
      saveCheckpoint();
      if (best) copyFileSync(checkpointPath, join(runDir, 'checkpoint-best.bin'));
      if (stopping && state.epoch <= config.epochs) return finish(false);
    }
    return finish(true);
  } catch (err) {
    outcome = { state: 'failed', error: (err as Error).message.split('\n')[0] };
    throw err;
  } finally {
    if (existsSync(runDir)) writeRunStatus(runDir, { ...outcome, pid: process.pid, started: startedAt, updated: new Date().toISOString() });
    disposeGan(gan);
    evaluator?.dispose();
  }
}

/** D's inputs, penalties, clipping and EMA as the config asks; random draws come from the run's `rng`. */
function trainingOptions(gan: Gan, config: TrainConfig, rng: Rng, progress: () => number): StepOptions {
  const options: StepOptions = { acgan: config.conditioning === 'acgan' };
  if (config.diffAugment !== 'none' || config.instanceNoise > 0) {
    options.dInput = (x) => tf.tidy(() => instanceNoise(diffAugment(x, config.diffAugment, rng), config.instanceNoise * Math.max(0, 1 - progress()), rng));
  }
  if (config.gpWeight > 0 || config.r1Gamma > 0) {
    options.dPenalty = (critic, real, fake) => {
      // D's optimizer counts D steps and is checkpointed, so a resumed run keeps the lazy schedule.
      const dSteps = gan.dOptimizer.step + 1;
      const terms: tf.Scalar[] = [];
      if (config.gpWeight > 0) terms.push(tf.mul(config.gpWeight, gradientPenalty(critic, real, fake, rng.uniforms(real.shape[0], 0, 1))));
      // Lazy R1: every r1Every-th D step, scaled by r1Every so the penalty's average strength stays γ/2.
      if (config.r1Gamma > 0 && dSteps % config.r1Every === 0) terms.push(tf.mul((config.r1Gamma / 2) * config.r1Every, r1Penalty(critic, real)));
      return terms.length === 0 ? null : terms.reduce((a, b) => tf.add(a, b));
    };
  }
  if (config.weightClip > 0) {
    const c = config.weightClip;
    options.afterDStep = () => tf.tidy(() => {
      for (const v of gan.discriminator.store.params.values()) v.assign(tf.clipByValue(v, -c, c));
    });
  }
  if (gan.generatorEma != null) options.afterGStep = () => updateEma(gan.generatorEma!, gan.generator, config.ema, gan.gOptimizer.step);
  return options;
}

async function endOfEpoch(gan: Gan, config: TrainConfig, runDir: string, epoch: number, gridNoise: Float32Array): Promise<void> {
  if (gan.generatorEma != null) {
    const classes = config.conditioning === 'none' ? 0 : config.numClasses;
    standingStatistics(gan.generatorEma, config.latentDim, classes, deriveSeed(config.seed, `standing-statistics-${epoch}`));
  }
  const generator = samplingGenerator(gan);
  const images = generateImages(generator, gridNoise, config.latentDim, generationLabels(config, config.sampleGridSize));
  const side = Math.round(Math.sqrt(config.sampleGridSize));
  const name = `epoch-${String(epoch).padStart(3, '0')}.png`;
  const grid = tileImages(images, config.sampleGridSize, config.imageSize, config.imageSize, config.channels, side);
  writeFileAtomic(join(runDir, 'samples', name), encodePng(grid.width, grid.height, config.channels as 1 | 3, grid.pixels));
  if (config.conditioning !== 'none') {
    // One row a class, the same noise down each column.
    const k = config.numClasses, perClass = Math.min(10, side * 2);
    const z = new Float32Array(k * perClass * config.latentDim);
    for (let row = 0; row < k; row++) z.set(gridNoise.subarray(0, perClass * config.latentDim), row * perClass * config.latentDim);
    const labels = Int32Array.from({ length: k * perClass }, (_, i) => Math.floor(i / perClass));
    const byClass = tileImages(generateImages(generator, z, config.latentDim, labels), k * perClass, config.imageSize, config.imageSize, config.channels, perClass);
    writeFileAtomic(join(runDir, 'samples', `classes-${name}`), encodePng(byClass.width, byClass.height, config.channels as 1 | 3, byClass.pixels));
  }
  if (generator.layers == null) return; // this family has no tfjs-layers form yet: sampling works from the checkpoint
  await exportGenerator(generator, join(runDir, 'generator'), {
    architecture: config.architecture, latentDim: config.latentDim, imageSize: config.imageSize, channels: config.channels, epoch,
  });
}
