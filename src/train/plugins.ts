/**
 * What a kind of run plugs into the training loop (loop.ts), which itself knows no kind: the training images, a
 * batch source that makes G's input for each real batch, and the hooks that run at each epoch's end. plan.ts picks
 * them from the config.
 */
import type * as tf from '@tensorflow/tfjs';
import type { TrainConfig } from '../config.js';
import type { ImageDataset } from '../data/dataset.js';
import type { Rng } from '../util/random.js';
import type { Gan } from './gan.js';
import type { MetricsLine } from './metrics_log.js';
import type { TrainState } from './state.js';
import type { StepOptions } from './step.js';

/** G's input for one step, and what the step does with the batch beyond the regularisers (labels, condition). */
export interface Batch {
  input: tf.Tensor;
  options: StepOptions;
  /** Disposed after the step (the input among them). */
  tensors: tf.Tensor[];
}

export interface BatchSource {
  /** G's input for the real batch `real`: the images `order` puts at `step` (from 1) of the epoch; draws from `rng`. */
  next(real: tf.Tensor4D, order: Int32Array, step: number, rng: Rng): Batch;
}

export interface EpochContext {
  gan: Gan;
  config: TrainConfig;
  runDir: string;
  /** The epoch that just ended (from 1), or the one a time budget stopped in. */
  epoch: number;
  /** The run's last point: its last epoch, or where its time budget ran out (evaluations always run then). */
  final: boolean;
  /** Seconds spent training so far (state.trainSeconds, up to date). */
  seconds: number;
  /** The run's checkpointed state (hooks may keep their history in it, e.g. FID per epoch). */
  state: TrainState;
  /** A notice for the user. */
  info(line: string): void;
  /** Appends a line to metrics.jsonl. */
  record(line: MetricsLine): void;
}

/** Runs at each epoch's end, before the checkpoint; `best` marks this epoch's checkpoint as the best so far. */
export type EpochHook = (
  context: EpochContext,
) => Promise<{ best: boolean } | undefined> | { best: boolean } | undefined;

/** A run's data and plug-ins. */
export interface RunPlan {
  /** The training images. */
  data: ImageDataset;
  /** Said after the architecture in the start line (e.g. " for --task superres (358 held out)"). */
  description: string;
  /** The batch source for the run's networks (built after the data, which may set the class count). */
  source: (gan: Gan) => BatchSource;
  hooks: EpochHook[];
  /** Releases what the hooks hold (a feature extractor). */
  dispose(): void;
}
