/** What a run's checkpoint records besides its tensors. */
import type { TrainConfig } from '../config.js';
import type { RngState } from '../util/random.js';

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
}
