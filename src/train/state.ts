/** What a run's checkpoint records besides its tensors, and the run's status file. */
import { join } from 'node:path';
import type { TrainConfig } from '../config.js';
import { writeFileAtomic } from '../io/files.js';
import type { RngState } from '../util/random.js';
import type { AdaState } from './ada.js';
import type { PathLengthState } from './path_length.js';

export const CHECKPOINT_FILE = 'checkpoint.bin';

/** What a checkpoint records besides the tensors. */
export interface TrainState {
  config: TrainConfig;
  /** The backend the run trained on (bit-exact continuation needs the same one). */
  backend: string;
  /** The epoch to run next (1-based) and the steps of it already done. */
  epoch: number;
  step: number;
  globalStep: number;
  gOptimizerStep: number;
  dOptimizerStep: number;
  noiseRng: RngState;
  /** Size of metrics.jsonl when the checkpoint was written; a resumed run cuts it back to this. */
  metricsBytes: number;
  /** FID after each evaluated epoch, and the best so far (kept as checkpoint-best.bin). */
  fidHistory: [number, number][];
  bestFid: number | null;
  /** Seconds spent training (steps and epoch hooks, over every process that trained the run): --time-budget. */
  trainSeconds: number;
  /** trainSeconds at the last evaluation: --eval-every by minutes. */
  evaluatedSeconds: number;
  /** Evaluations in a row that looked collapsed, and what the run says about it once two did (else null). */
  collapseStreak: number;
  collapse: string | null;
  /** ADA's probability and running sums (--ada, --augment-p; absent otherwise), and p at each epoch's end. */
  ada?: AdaState & { history: [number, number][] };
  /** Path-length regularisation's running mean of the lengths (--pl-weight; absent otherwise). */
  pathLength?: PathLengthState;
}

export const STATUS_FILE = 'status.json';

/**
 * status.json in a run folder, for tools that watch runs (gantry studio): 'training' while a process trains it
 * (`pid`; a killed process leaves 'training' behind, so readers check the pid), then 'finished', 'stopped' (Ctrl-C,
 * resumable) or 'failed' with the error's first line.
 */
export interface RunStatus {
  state: 'training' | 'finished' | 'stopped' | 'failed';
  error?: string;
  pid: number;
  /** ISO times: when this process started training the run, and of this status. */
  started: string;
  updated: string;
  /** Steps in an epoch, training time so far and the time budget (--time-budget), for progress and ETA. */
  stepsPerEpoch?: number;
  elapsedSeconds?: number;
  budgetSeconds?: number | null;
  /** A warning about the run's images (two evaluations in a row looked collapsed). */
  warning?: string;
}

export function writeRunStatus(runDir: string, status: RunStatus): void {
  writeFileAtomic(join(runDir, STATUS_FILE), `${JSON.stringify(status)}\n`);
}
