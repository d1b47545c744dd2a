/**
 * One process of `npm run bench -- --processes N`, started by mpirun: the reference DCGAN's training step at a
 * global batch of 64 split between the processes, gradients averaged in one allreduce per network per step (the
 * data-parallel step of `gantry train --processes N`), on random data. Rank 0 prints one JSON line: the median
 * step time and global images per second, and the allreduce's bytes and time per step.
 *
 *   mpirun -np 2 node dist/bench/train_step_parallel.js [--steps 20] [--backend auto]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { type BackendChoice, useBackend } from '../src/backend/index.js';
import { loadMpi } from '../src/backend/mpi.js';
import { resolveConfig } from '../src/config.js';
import { averageGradients, broadcastVariables, type Collective, shardOf } from '../src/train/distributed.js';
import { createGan, disposeGan, ganVariables } from '../src/train/gan.js';
import { trainStep } from '../src/train/step.js';
import { Rng } from '../src/util/random.js';

const { values: args } = parseArgs({
  options: { steps: { type: 'string', default: '20' }, backend: { type: 'string', default: 'auto' } },
});
const steps = Number(args.steps);
const batch = 64;
const mpi = loadMpi();
const backend = await useBackend(args.backend as BackendChoice);
const config = resolveConfig({ backend: args.backend, batchSize: batch });
const gan = createGan(config);
const [lo, hi] = shardOf(batch, mpi.rank, mpi.size);

// The allreduce, timed: the collective every step's gradient averaging goes through.
let reduceMs = 0;
let reduceBytes = 0;
const timed: Collective = {
  rank: mpi.rank,
  size: mpi.size,
  allreduce: (view) => {
    const t = performance.now();
    mpi.allreduce(view);
    reduceMs += performance.now() - t;
    reduceBytes += view.byteLength;
  },
  broadcast: mpi.broadcast,
};
broadcastVariables(timed, [...ganVariables(gan).values()]);
const share = (hi - lo) / batch;
averageGradients(gan.gOptimizer, timed, () => share);
averageGradients(gan.dOptimizer, timed, () => share);

const rng = new Rng(1);
const real = tf.tensor4d(rng.uniforms(batch * 28 * 28, -1, 1), [batch, 28, 28, 1]);
const mine = tf.slice(real, [lo, 0, 0, 0], [hi - lo, -1, -1, -1]);
const oneStep = () => {
  const all = rng.normals(batch * config.latentDim);
  const z = tf.tensor2d(all.subarray(lo * config.latentDim, hi * config.latentDim), [hi - lo, config.latentDim]);
  const losses = trainStep(gan, gan.losses, mine, z);
  z.dispose();
  const sums = new Float64Array([losses.dLoss * share, losses.gLoss * share, 0]);
  mpi.allreduce(sums);
};

for (let i = 0; i < 3; i++) oneStep();
reduceMs = 0;
reduceBytes = 0;
const times: number[] = [];
for (let i = 0; i < steps; i++) {
  mpi.barrier();
  const t = performance.now();
  oneStep();
  times.push(performance.now() - t);
}
times.sort((a, b) => a - b);
const ms = times[Math.floor(times.length / 2)];

/** The allreduce alone: median time of `bytes`-byte float32 sums after a barrier (latency and bandwidth). */
function sweep(bytes: number): number {
  const view = new Float32Array(bytes / 4);
  const samples: number[] = [];
  for (let i = 0; i < 30; i++) {
    mpi.barrier();
    const t = performance.now();
    mpi.allreduce(view);
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}
const sizes = [8, 1024, 65536, 1 << 20, 4 << 20];
const allreduceMs = Object.fromEntries(sizes.map((b) => [b, Math.round(sweep(b) * 1000) / 1000]));
if (mpi.rank === 0) {
  console.log(
    JSON.stringify({
      framework: 'gantry',
      processes: mpi.size,
      backend,
      mpi: mpi.version,
      train_step_ms: Math.round(ms * 10) / 10,
      train_img_per_s: Math.round((batch / (ms / 1000)) * 10) / 10,
      allreduce_bytes_per_step: Math.round(reduceBytes / steps),
      allreduce_ms_per_step: Math.round((reduceMs / steps) * 100) / 100,
      allreduce_ms_by_bytes: allreduceMs,
    }),
  );
}
disposeGan(gan);
tf.dispose([real, mine]);
mpi.finalize();
