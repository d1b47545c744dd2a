/**
 * The training loop: epochs of steps over a data set, with loss logging, atomic checkpoints and status in a run
 * folder. It knows no architecture, loss or kind of run: the networks and losses come from the config through
 * createGan, the step options through stepOptions (wiring.ts), and G's input and the epoch's pictures and
 * evaluations from the run's plug-ins (plan.ts).
 *
 * Run folder: config.json, metrics.jsonl, status.json, samples/epoch-NNN.png, checkpoint.bin, generator/model.json.
 */

import { appendFileSync, copyFileSync, existsSync, mkdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { nativeLibrariesInUse, useBackend } from '../backend/index.js';
import { parseSavedConfig, resolveConfig, type TrainConfig } from '../config.js';
import { batchTensor, epochOrder, stepsPerEpoch } from '../data/dataset.js';
import { DataError } from '../data/errors.js';
import { defaultCacheDir } from '../data/idx_sets.js';
import { datasetHash } from '../data/index.js';
import { UsageError } from '../errors.js';
import { readCheckpoint, writeCheckpoint } from '../io/checkpoint.js';
import { writeFileAtomic } from '../io/files.js';
import type { ResumableOption } from '../options.js';
import { deriveSeed, Rng } from '../util/random.js';
import {
  averageGradients,
  broadcastVariables,
  type Collective,
  disagreements,
  ProcessesDifferError,
  shardBatch,
  shardOf,
  sharedVariables,
  sumOverProcesses,
  weightsFingerprint,
} from './distributed.js';
import { assignVariables, createGan, disposeGan, ganVariables, readVariables, refreshEmaStatistics } from './gan.js';
import { formatMetricsLine, type MetricsLine } from './metrics_log.js';
import { planRun } from './plan.js';
import type { EpochContext } from './plugins.js';
import { lrFactor, runProgress, scaleLearningRates } from './schedule.js';
import { CHECKPOINT_FILE, type RunStatus, type TrainState, writeRunStatus } from './state.js';
import { trainStep } from './step.js';
import { stepOptions } from './wiring.js';

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  globalStep: number;
  totalSteps: number;
  stepsPerSecond: number;
  /** Until the last epoch's end, or the time budget's, whichever comes first. */
  etaSeconds: number;
  /** Training time so far (this and earlier processes), and the budget (--time-budget) if any. */
  elapsedSeconds: number;
  budgetSeconds: number | null;
  dLoss: number;
  gLoss: number;
}

export interface TrainOptions {
  runDir: string;
  /** The config of a new run. */
  config?: TrainConfig;
  /** Continue the run in runDir from its checkpoint, optionally changing these fields. */
  resume?: boolean;
  resumeOverrides?: Partial<Pick<TrainConfig, ResumableOption>>;
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
  /**
   * The processes of a data-parallel run (distributed.ts; `gantry train` under mpirun passes MPI's): they split
   * each batch and average their gradients; rank 0 alone writes the run folder and reports.
   */
  collective?: Collective;
}

export interface TrainResult {
  runDir: string;
  backend: string;
  globalStep: number;
  /** The run ended (its epochs done, or its time budget spent) rather than being stopped. */
  completed: boolean;
  /** It ended because --time-budget was spent. */
  outOfTime?: boolean;
}

/** A loss became NaN or infinite: the run stops (its last checkpoint is the end of the previous epoch). */
export class TrainingDivergedError extends Error {}

export function formatLossLine(
  epoch: number,
  epochs: number,
  step: number,
  steps: number,
  dLoss: number,
  gLoss: number,
): string {
  return `Epoch [${epoch}/${epochs}], Step [${step}/${steps}], D_loss: ${dLoss.toFixed(4)}, G_loss: ${gLoss.toFixed(4)}`;
}

export async function train(options: TrainOptions): Promise<TrainResult> {
  const { runDir } = options;
  const processes = options.collective != null && options.collective.size > 1 ? options.collective : null;
  // Rank 0 alone writes the run folder (logs, grids, checkpoints, status, evaluations) and reports.
  const writer = processes == null || processes.rank === 0;
  const info = (writer ? options.info : undefined) ?? (() => {});
  const checkpointPath = join(runDir, CHECKPOINT_FILE);
  const metricsPath = join(runDir, 'metrics.jsonl');
  const record = (line: MetricsLine) => {
    if (writer) appendFileSync(metricsPath, formatMetricsLine(line));
  };

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
      config,
      backend: '',
      epoch: 1,
      step: 0,
      globalStep: 0,
      gOptimizerStep: 0,
      dOptimizerStep: 0,
      noiseRng: new Rng(deriveSeed(config.seed, 'noise')).state(),
      metricsBytes: 0,
      fidHistory: [],
      bestFid: null,
      trainSeconds: 0,
      evaluatedSeconds: 0,
      collapseStreak: 0,
      collapse: null,
      ...(config.ada || config.augmentP != null
        ? { ada: { p: config.augmentP ?? 0, signSum: 0, count: 0, history: [] } }
        : {}),
      ...(config.plWeight > 0 ? { pathLength: { mean: 0 } } : {}),
    };
  }
  const config = state.config;

  const backend = await useBackend(config.backend);
  if (options.resume && state.backend !== backend) {
    info(
      `note: this run trained on '${state.backend}' and continues on '${backend}'; results will differ slightly from an uninterrupted run`,
    );
  }
  state.backend = backend;
  if (processes != null && config.batchSize < processes.size) {
    throw new UsageError(
      `--batch-size ${config.batchSize} is smaller than the ${processes.size} processes (each takes a share of a batch)`,
    );
  }
  const cacheDir = options.cacheDir ?? defaultCacheDir();
  const plan = await planRun(config, {
    cacheDir,
    runDir,
    resumed: options.resume ?? false,
    evaluate: writer,
    warn: (m: string) => info(`warning: ${m}`),
    progress: options.dataProgress,
  });
  const { data } = plan;
  const hash = datasetHash(data);
  try {
    if (options.resume && config.dataHash != null && config.dataHash !== hash) {
      throw new DataError(
        `${runDir} was trained on other data (hash ${config.dataHash}); ${data.name} now has hash ${hash}`,
      );
    }
    if (processes != null && disagreements(processes, hash) > 0) {
      throw new DataError(
        `the processes of this run read different data (${data.name} has hash ${hash} here, rank ${processes.rank})`,
      );
    }
  } catch (err) {
    plan.dispose();
    throw err;
  }
  config.dataHash = hash;
  const examples = data.count * (config.mirror ? 2 : 1);
  const steps = stepsPerEpoch(examples, config.batchSize);

  state.fidHistory ??= [];
  state.bestFid ??= null;
  // Checkpoints from before --time-budget hold no training time.
  state.trainSeconds ??= 0;
  state.evaluatedSeconds ??= 0;
  state.collapseStreak ??= 0;
  state.collapse ??= null;
  const gan = createGan(config);
  const variables = ganVariables(gan);
  // This process's share of the step's global batch: its gradients' weight in the average.
  let share = 1;
  if (processes != null) {
    averageGradients(gan.gOptimizer, processes, () => share);
    averageGradients(gan.dOptimizer, processes, () => share);
  }
  const startedAt = new Date().toISOString();
  let outcome: Pick<RunStatus, 'state' | 'error'> = { state: 'failed' };
  // How many times the processes compared (and agreed on) their weights.
  let checks = 0;
  const finish = (completed: boolean, outOfTime = false): TrainResult => {
    outcome = { state: completed ? 'finished' : 'stopped' };
    if (processes != null && checks > 0) info(`the ${processes.size} processes' weights agreed at ${checks} check(s)`);
    if (outOfTime) {
      const minutes = (state.trainSeconds / 60).toFixed(1);
      info(
        `the time budget (${Number(config.timeBudget.toPrecision(4))} min) is spent after ${minutes} min, at epoch ${state.epoch}, step ${state.step}: stopped with a checkpoint; gantry train --resume ${runDir} --time-budget <more> goes on`,
      );
    }
    return { runDir, backend, globalStep: state.globalStep, completed, ...(outOfTime ? { outOfTime } : {}) };
  };
  try {
    if (stored != null) assignVariables(variables, stored, checkpointPath);
    // Every process starts from rank 0's weights (and optimiser state).
    if (processes != null) broadcastVariables(processes, [...variables.values()]);
    if (!writer) {
      // Nothing to write or say.
    } else if (stored != null) {
      if (existsSync(metricsPath) && statSync(metricsPath).size > state.metricsBytes)
        truncateSync(metricsPath, state.metricsBytes);
      // config.json shows what the run now does (e.g. more --epochs than it started with).
      writeFileAtomic(join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      info(
        state.epoch > config.epochs
          ? `${runDir} already finished its ${config.epochs} epoch(s); pass --epochs N to train further`
          : `resuming ${runDir} at epoch ${state.epoch}, step ${state.step}/${steps} (backend ${backend})`,
      );
    } else {
      mkdirSync(join(runDir, 'samples'), { recursive: true });
      writeFileAtomic(join(runDir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
      writeFileSync(metricsPath, '');
      const images = `${data.count} images${config.mirror ? ' and their mirror images' : ''}, ${data.width}×${data.height}×${data.channels}, ${steps} steps an epoch`;
      const libraries = backend === 'native' ? `native (${nativeLibrariesInUse().join(', ')})` : backend;
      info(
        `training ${config.architecture}${config.dArchitecture === 'same' ? '' : ` G with the ${config.dArchitecture} D`}${plan.description} on ${data.name} (${images}) with backend ${libraries} into ${runDir}`,
      );
    }

    if (stored != null) {
      gan.gOptimizer.step = state.gOptimizerStep;
      gan.dOptimizer.step = state.dOptimizerStep;
    }
    const progressStatus = () => ({
      stepsPerEpoch: steps,
      elapsedSeconds: Math.round(state.trainSeconds),
      budgetSeconds: config.timeBudget > 0 ? config.timeBudget * 60 : null,
      ...(state.collapse != null ? { warning: `looks ${state.collapse}` } : {}),
    });
    if (writer)
      writeRunStatus(runDir, {
        state: 'training',
        pid: process.pid,
        started: startedAt,
        updated: startedAt,
        ...progressStatus(),
      });
    // status.json is rewritten every few seconds while training: watchers see the elapsed time and the budget.
    let statusWritten = performance.now();
    const noise = new Rng(state.noiseRng);
    const saveCheckpoint = () => {
      tick();
      // Every process takes the RNG's state (which drops its spare normal), so their streams stay the same.
      state.noiseRng = noise.state();
      if (!writer) return;
      // Mid-epoch, the EMA generator still holds G's BatchNorm statistics: measure its own, so that sampling from
      // this checkpoint matches the epoch-end ones (training overwrites them at the next step: no other effect).
      if (state.step > 0) refreshEmaStatistics(gan, config, `standing-statistics-${state.epoch}-${state.step}`);
      state.gOptimizerStep = gan.gOptimizer.step;
      state.dOptimizerStep = gan.dOptimizer.step;
      state.metricsBytes = existsSync(metricsPath) ? statSync(metricsPath).size : 0;
      writeCheckpoint(checkpointPath, state, readVariables(variables));
    };

    const totalSteps = steps * config.epochs;
    // The step's own draws (augmentation, noise on D's inputs, penalties): the run's RNG in one process; with
    // several, a stream per process and step (a function of the seed and the step, so resumable), leaving the
    // run's RNG to the batch's noise, which is then what one process would draw.
    const stepRng = processes == null ? noise : new Rng(0);
    const regularisers = {
      ...stepOptions(gan, config, stepRng, () => state.globalStep / totalSteps, {
        ada: state.ada,
        pathLength: state.pathLength,
        sum: processes == null ? undefined : (values) => processes.allreduce(values),
      }),
      ...(processes != null && config.syncBatchnorm ? { reduce: sumOverProcesses(processes) } : {}),
    };
    const source = plan.source(gan);
    // Every epoch (and every --verify-every steps) the processes check that they hold the same weights.
    const verify = (when: string) => {
      if (processes == null) return;
      const shared = sharedVariables([gan.generator, gan.gOptimizer], [gan.discriminator, gan.dOptimizer]);
      if (disagreements(processes, weightsFingerprint(shared)) > 0) {
        throw new ProcessesDifferError(
          `the processes' weights differ after ${when} (rank ${processes.rank} of ${processes.size}); resume from the last checkpoint`,
        );
      }
      checks++;
    };
    let lastGLoss = Number.NaN;
    const started = performance.now();
    const startStep = state.globalStep;
    const secondsBefore = state.trainSeconds;
    const budget = config.timeBudget * 60;
    /** Training time so far; every process stops on rank 0's clock (the other processes' differ a little). */
    const tick = () => {
      state.trainSeconds = secondsBefore + (performance.now() - started) / 1000;
      return state.trainSeconds;
    };
    // Rank 0's training time as of the last step's end, which every process shares: --lr-decay on a budget.
    let clock = state.trainSeconds;
    const budgetSpent = () => {
      if (budget <= 0) return false;
      const shared = new Float64Array([writer ? tick() : 0]);
      processes?.allreduce(shared);
      clock = shared[0];
      return clock >= budget;
    };
    /** The epoch hooks (grids, evaluation, export) at an epoch's end or where the time budget ran out. */
    const runHooks = async (final: boolean): Promise<boolean> => {
      const context: EpochContext = {
        gan,
        config,
        runDir,
        epoch: state.epoch,
        final,
        seconds: tick(),
        state,
        info,
        record,
      };
      let best = false;
      if (writer) for (const hook of plan.hooks) best = (await hook(context))?.best === true || best;
      return best;
    };
    let stopping = false;
    let outOfTime = false;
    while (state.epoch <= config.epochs) {
      const order = epochOrder(examples, config.seed, state.epoch);
      while (state.step < steps) {
        const stepStart = performance.now();
        const whole = batchTensor(data, order, state.step + 1, config.batchSize);
        let batch = source.next(whole, order, state.step + 1, noise);
        let real = whole;
        const images = whole.shape[0];
        if (processes != null && images < processes.size) {
          // An epoch's last batch with fewer images than processes: some would train on none, so none does.
          tf.dispose([whole, ...batch.tensors]);
          state.step++;
          state.globalStep++;
          continue;
        }
        if (processes != null) {
          // Every process made the whole batch (and drew its noise); each trains on its own rows of it.
          const [lo, hi] = shardOf(images, processes.rank, processes.size);
          share = (hi - lo) / images;
          batch = shardBatch(batch, lo, hi);
          real = tf.slice(whole, [lo, 0, 0, 0], [hi - lo, -1, -1, -1]);
          stepRng.restart(deriveSeed(config.seed, 'step', state.globalStep, processes.rank));
        }
        const updateG = (state.globalStep + 1) % config.nCritic === 0;
        const lrScale = lrFactor(config.lrDecay, runProgress(state.globalStep, totalSteps, clock, budget));
        if (config.lrDecay > 0) scaleLearningRates(gan, config, lrScale);
        const own = trainStep(gan, gan.losses, real, batch.input, { ...regularisers, ...batch.options, updateG });
        tf.dispose([whole, real, ...batch.tensors]);
        let stop = false;
        let losses = own;
        if (processes != null) {
          stop = options.shouldStop?.() ?? false;
          // The global batch's losses (each process's weighted by its share), and whether any process stops.
          const sums = new Float64Array([own.dLoss * share, own.gLoss * share, stop ? 1 : 0]);
          processes.allreduce(sums);
          losses = { dLoss: sums[0], gLoss: sums[1] };
          stop = sums[2] > 0;
        }
        if (!Number.isNaN(losses.gLoss)) lastGLoss = losses.gLoss;
        if (!Number.isFinite(losses.dLoss) || (updateG && !Number.isFinite(losses.gLoss))) {
          throw new TrainingDivergedError(
            `training diverged at epoch ${state.epoch}, step ${state.step + 1}: D loss ${losses.dLoss}, G loss ${losses.gLoss} (try a lower --lr or another --preset)`,
          );
        }
        state.step++;
        state.globalStep++;
        if (config.verifyEvery > 0 && state.globalStep % config.verifyEvery === 0) verify(`step ${state.globalStep}`);
        const stepMs = performance.now() - stepStart;
        record({
          epoch: state.epoch,
          step: state.step,
          global_step: state.globalStep,
          d_loss: losses.dLoss,
          g_loss: updateG ? losses.gLoss : null,
          step_ms: Math.round(stepMs * 10) / 10,
          images,
          ...(config.lrDecay > 0 ? { lr: config.lr * lrScale } : {}),
          ...(state.ada != null ? { ada_p: state.ada.p } : {}),
          ...(state.pathLength != null ? { pl_mean: state.pathLength.mean } : {}),
        });
        if (state.step % config.logEvery === 0 || state.step === steps) {
          options.log?.(formatLossLine(state.epoch, config.epochs, state.step, steps, losses.dLoss, lastGLoss));
        }
        const done = state.globalStep - startStep;
        const rate = done / ((performance.now() - started) / 1000);
        const seconds = tick();
        const stepsEta = (totalSteps - state.globalStep) / rate;
        options.progress?.({
          epoch: state.epoch,
          epochs: config.epochs,
          step: state.step,
          steps,
          globalStep: state.globalStep,
          totalSteps,
          stepsPerSecond: rate,
          etaSeconds: budget > 0 ? Math.min(stepsEta, Math.max(0, budget - seconds)) : stepsEta,
          elapsedSeconds: seconds,
          budgetSeconds: budget > 0 ? budget : null,
          dLoss: losses.dLoss,
          gLoss: lastGLoss,
        });
        if (writer && performance.now() - statusWritten > 10_000) {
          statusWritten = performance.now();
          const now = new Date().toISOString();
          writeRunStatus(runDir, {
            state: 'training',
            pid: process.pid,
            started: startedAt,
            updated: now,
            ...progressStatus(),
          });
        }
        // Let signal handlers (Ctrl-C) and stream writes run: a step is synchronous.
        await new Promise((resolveTick) => setImmediate(resolveTick));
        stopping = processes == null ? (options.shouldStop?.() ?? false) : stop;
        outOfTime = budgetSpent();
        if (outOfTime && state.step < steps) {
          // The time budget ran out mid-epoch: the grid and the evaluations now, then a checkpoint to resume from.
          verify(`step ${state.globalStep}`);
          const best = await runHooks(true);
          saveCheckpoint();
          if (writer && best) copyFileSync(checkpointPath, join(runDir, 'checkpoint-best.bin'));
          return finish(true, true);
        }
        if (
          state.step < steps &&
          (stopping || (config.checkpointEvery > 0 && state.globalStep % config.checkpointEvery === 0))
        ) {
          saveCheckpoint();
        }
        if (stopping && state.step < steps) return finish(false);
      }
      verify(`epoch ${state.epoch}`);
      const best = await runHooks(outOfTime || state.epoch === config.epochs);
      state.epoch++;
      state.step = 0;
      saveCheckpoint();
      if (writer && best) copyFileSync(checkpointPath, join(runDir, 'checkpoint-best.bin'));
      if (outOfTime && state.epoch <= config.epochs) return finish(true, true);
      if (stopping && state.epoch <= config.epochs) return finish(false);
    }
    return finish(true);
  } catch (err) {
    outcome = { state: 'failed', error: (err as Error).message.split('\n')[0] };
    throw err;
  } finally {
    if (writer && existsSync(runDir)) {
      const elapsed = {
        elapsedSeconds: Math.round(state.trainSeconds ?? 0),
        ...(state.collapse != null ? { warning: `looks ${state.collapse}` } : {}),
      };
      writeRunStatus(runDir, {
        ...outcome,
        pid: process.pid,
        started: startedAt,
        updated: new Date().toISOString(),
        ...elapsed,
      });
    }
    disposeGan(gan);
    plan.dispose();
  }
}
