/**
 * The lines of a run's metrics.jsonl, typed: one JSON object per line, appended as training goes (a step line
 * per step, an eval line after an evaluated epoch) and by `gantry eval --run` (an eval line with a time).
 * Writers format lines with formatMetricsLine; readers (the studio's server and its page) tell kinds apart with
 * isStepLine and isEvalLine. Values are as JSON writes them: a non-finite number becomes null, so readers check.
 *
 * Free of Node: the studio's browser bundle (web/, built by esbuild) imports it. Imports here must stay type-only.
 */
import type { HeldOutScores } from '../image2image/training.js';
import type { EvalResult } from '../metrics/evaluate.js';

export type { HeldOutScores };

/** One training step (written by src/train/loop.ts after every step). */
export interface StepLine {
  /** Epoch, from 1. */
  epoch: number;
  /** Step within the epoch, from 1. */
  step: number;
  /** Steps since the run began, over all epochs (from 1; continues across a resume). */
  global_step: number;
  /** D's loss on this step. */
  d_loss: number;
  /** G's loss on this step; null on a step that only updated D (nCritic > 1). */
  g_loss: number | null;
  /** Wall time of the step, in milliseconds, rounded to 0.1. */
  step_ms: number;
  /** Real images in the step's batch. */
  images: number;
  /** G's learning rate in this step (--lr-decay; absent otherwise). */
  lr?: number;
  /** ADA's augmentation probability after the step (--ada, --augment-p; absent otherwise). */
  ada_p?: number;
}

/** Scores of an FID/KID/IS/… evaluation: src/metrics/evaluate.ts's result without its warnings. */
export type EvalScores = Omit<EvalResult, 'warnings'>;

/**
 * An evaluation at the end of an epoch (written by src/train/loop.ts when --eval-every is due): FID and the rest
 * for a noise-to-image run, held-out scores for an image-to-image one.
 */
export interface TrainingEvalLine {
  /** The epoch just finished. */
  epoch: number;
  /** global_step of the epoch's last step line. */
  global_step: number;
  /** Seconds of training before it (all processes that trained the run; absent in runs from before 2026-12-02). */
  seconds?: number;
  /** The scores. */
  eval: EvalScores | HeldOutScores;
  time?: undefined;
}

/** An evaluation of a run's generator appended by `gantry eval --run` (src/cli/eval.ts), after or during training. */
export interface RunEvalLine {
  epoch?: undefined;
  global_step?: undefined;
  /** The scores. */
  eval: EvalScores;
  /** When it was written: an ISO 8601 time (Date.toISOString). */
  time: string;
}

/** A line with evaluation scores. */
export type EvalLine = TrainingEvalLine | RunEvalLine;

/** Any line of metrics.jsonl. */
export type MetricsLine = StepLine | EvalLine;

/**
 * A line as appended to metrics.jsonl: its JSON (keys in the object's own order) and a line end. Writers build
 * the object with keys in the order documented above, so files stay byte for byte what they were.
 */
export function formatMetricsLine(line: MetricsLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** A line with evaluation scores (an `eval` that is not null). */
export const isEvalLine = (line: MetricsLine): line is EvalLine => 'eval' in line && line.eval != null;

/** A training step's line (not an eval line, and with a numeric D loss). */
export const isStepLine = (line: MetricsLine): line is StepLine =>
  !isEvalLine(line) && typeof (line as StepLine).d_loss === 'number';
