/**
 * `npm run bench [-- --json] [--steps N] [--rounds R] [--backend auto|native|wasm|cpu] [--no-pytorch] [--profile]
 *   [--processes P] [--reference DIR]`
 *
 * Times one training step and sampling of the reference DCGAN at batch 64 on random data (compute only,
 * not data loading), and, side by side on the same machine, PyTorch's best run of the same model
 * (../shared/reference/seed_dcgan_bench.py with 1 and 2 threads). On the native backend it also times the plain
 * wasm backend, to show what the native kernels bring. Rounds alternate between them so that a noisy machine
 * affects all alike; each reports its best round. With `--processes P`, each round also times gantry's data-parallel
 * step over P processes (mpirun, bench/train_step_parallel.ts) and PyTorch's DistributedDataParallel over P
 * processes (../shared/reference/seed_dcgan_ddp_bench.py, gloo, one thread each), at the same global batch.
 * `--reference DIR` names the folder of those two PyTorch scripts when the clone is not beside ../shared.
 */

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { type BackendChoice, useBackend } from '../src/backend/index.js';
import { timeNativeCalls } from '../src/backend/kernel_overrides.js';
import { resolveConfig } from '../src/config.js';
import { batchTensor, epochOrder, type ImageDataset } from '../src/data/dataset.js';
import { loadData } from '../src/data/index.js';
import { generateImages, latentNoise } from '../src/networks/generate.js';
import { createGan, disposeGan } from '../src/train/gan.js';
import { trainStep } from '../src/train/step.js';
import { Rng } from '../src/util/random.js';

const { values: args } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    steps: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    backend: { type: 'string', default: 'auto' },
    'no-pytorch': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    processes: { type: 'string' },
    // Where PyTorch's reference scripts are (seed_dcgan_bench.py, seed_dcgan_ddp_bench.py): ../shared/reference.
    reference: { type: 'string', default: resolve('..', 'shared', 'reference') },
  },
});
const processes = args.processes == null ? null : Number(args.processes);
const steps = Number(args.steps);
const rounds = Number(args.rounds);
const batch = 64;
const log = (line: string) => {
  if (!args.json) console.log(line);
};

const backend = await useBackend(args.backend as BackendChoice);
const config = resolveConfig({ backend: args.backend, batchSize: batch });
const gan = createGan(config);
const rng = new Rng(1);
const real = tf.tensor4d(rng.uniforms(batch * 28 * 28, -1, 1), [batch, 28, 28, 1]);
const oneStep = () => {
  const z = tf.tensor2d(rng.normals(batch * config.latentDim), [batch, config.latentDim]);
  trainStep(gan, gan.losses, real, z);
  z.dispose();
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median step time over `steps` steps, in ms. */
function timeTraining(): number {
  for (let i = 0; i < 3; i++) oneStep();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    oneStep();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Images per second generating 1000 images, best of 3. */
function timeSampling(): number {
  const z = latentNoise(2, 1000, config.latentDim);
  generateImages(gan.generator, z.subarray(0, 64 * config.latentDim), config.latentDim);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    generateImages(gan.generator, z, config.latentDim);
    best = Math.min(best, performance.now() - t);
  }
  return 1000 / (best / 1000);
}

/** Images per second of the data pipeline alone (order, batches as tensors), over one epoch of `data`. */
function timeLoader(data: ImageDataset): number {
  const order = epochOrder(data.count, 1, 1);
  const t = performance.now();
  for (let step = 1; (step - 1) * batch < data.count; step++) batchTensor(data, order, step, batch).dispose();
  return data.count / ((performance.now() - t) / 1000);
}

interface TorchResult {
  threads: number;
  train_img_per_s: number;
  sample_img_per_s: number;
  version: string;
}
const torchScript = resolve(args.reference!, 'seed_dcgan_bench.py');
function timePytorch(threads: number): TorchResult | null {
  if (args['no-pytorch'] || !existsSync(torchScript) || !existsSync('/usr/bin/python3')) return null;
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
  const r = spawnSync('/usr/bin/python3', [torchScript, '--threads', String(threads), '--steps', '30'], {
    encoding: 'utf8',
    env,
  });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || line == null || !line.startsWith('{')) return null;
  return JSON.parse(line) as TorchResult;
}

/**
 * The BLAS libraries PyTorch loaded, comma-separated (Debian's python3-torch takes whichever the alternatives system
 * points at): with only the reference BLAS its transposed convolutions run ~5× slower here, which would flatter
 * every ratio below.
 */
function pytorchBlas(): string | null {
  const probe =
    "import torch; torch.ones(8, 8) @ torch.ones(8, 8); print(','.join(sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() or 'mkl' in l.lower()})))";
  const r = spawnSync('/usr/bin/python3', ['-c', probe], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n').pop()! : null;
}

interface ParallelResult {
  train_img_per_s: number;
  train_step_ms: number;
  allreduce_bytes_per_step: number;
  allreduce_ms_per_step: number;
  allreduce_ms_by_bytes: Record<string, number>;
  mpi: string;
}
/** gantry's data-parallel step over `n` processes under mpirun. */
function timeGantryParallel(n: number): ParallelResult | null {
  const worker = resolve('dist', 'bench', 'train_step_parallel.js');
  const env = { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' };
  const r = spawnSync(
    'mpirun',
    ['-np', String(n), process.execPath, worker, '--steps', String(steps), '--backend', args.backend!],
    {
      encoding: 'utf8',
      env,
    },
  );
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || line == null || !line.startsWith('{')) {
    log(`  gantry over ${n} processes failed: ${(r.stderr ?? String(r.error)).trim().split('\n').slice(-3).join(' ')}`);
    return null;
  }
  return JSON.parse(line) as ParallelResult;
}
const ddpScript = resolve(args.reference!, 'seed_dcgan_ddp_bench.py');
/** PyTorch's DistributedDataParallel over `n` processes. */
function timePytorchDdp(n: number): number | null {
  if (args['no-pytorch'] || !existsSync(ddpScript) || !existsSync('/usr/bin/python3')) return null;
  const r = spawnSync('/usr/bin/python3', [ddpScript, '--processes', String(n), '--steps', '30'], { encoding: 'utf8' });
  const line = r.stdout?.trim().split('\n').pop();
  if (r.status !== 0 || line == null || !line.startsWith('{')) return null;
  return (JSON.parse(line) as { train_img_per_s: number }).train_img_per_s;
}
const parallel: ParallelResult[] = [];
const ddp: number[] = [];
/** Per round: gantry on P processes over gantry on one, and over PyTorch DDP on P. */
const scalingRatios: number[] = [];
const ddpRatios: number[] = [];

log(`gantry bench: reference DCGAN, batch ${batch}, backend ${backend}, ${steps} steps x ${rounds} rounds`);
const ours: number[] = [];
const wasmBaseline: number[] = [];
let torchBest: TorchResult | null = null;
/** gantry / PyTorch within each round: the median says how the two compare when the machine's speed drifts. */
const roundRatios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const ms = timeTraining();
  ours.push(ms);
  log(`  round ${r + 1}: gantry ${backend} ${ms.toFixed(1)} ms/step (${(batch / (ms / 1000)).toFixed(1)} img/s)`);
  if (backend === 'native') {
    // The same model and variables, on the wasm backend's own kernels.
    await useBackend('wasm');
    const wasmMs = timeTraining();
    wasmBaseline.push(wasmMs);
    log(`  round ${r + 1}: gantry wasm ${wasmMs.toFixed(1)} ms/step (${(batch / (wasmMs / 1000)).toFixed(1)} img/s)`);
    await useBackend('native');
  }
  let torchThisRound = 0;
  for (const threads of [1, 2]) {
    const t = timePytorch(threads);
    if (t == null) continue;
    log(`  round ${r + 1}: pytorch ${t.version}, ${threads} thread(s): ${t.train_img_per_s} img/s`);
    if (torchBest == null || t.train_img_per_s > torchBest.train_img_per_s) torchBest = t;
    torchThisRound = Math.max(torchThisRound, t.train_img_per_s);
  }
  if (torchThisRound > 0) roundRatios.push(batch / (ms / 1000) / torchThisRound);
  if (processes != null) {
    const p = timeGantryParallel(processes);
    if (p != null) {
      parallel.push(p);
      scalingRatios.push(p.train_img_per_s / (batch / (ms / 1000)));
      log(
        `  round ${r + 1}: gantry over ${processes} processes ${p.train_step_ms} ms/step (${p.train_img_per_s} img/s; allreduce ${p.allreduce_ms_per_step} ms/step)`,
      );
    }
    const d = timePytorchDdp(processes);
    if (d != null) {
      ddp.push(d);
      log(`  round ${r + 1}: pytorch DDP over ${processes} processes: ${d} img/s`);
      if (p != null) ddpRatios.push(p.train_img_per_s / d);
    }
  }
}
const bestMs = Math.min(...ours);
const trainImgPerS = batch / (bestMs / 1000);
const sampleImgPerS = timeSampling();
const mnist = await loadData({ ...config, dataset: 'mnist' });
const loaderImgPerS = timeLoader(mnist);
let fashionLoaderImgPerS: number | null = null;
try {
  fashionLoaderImgPerS = timeLoader(await loadData({ ...config, dataset: 'fashion-mnist' }));
} catch {
  // Fashion-MNIST not installed: apt-get install dataset-fashion-mnist
}

if (args.profile) {
  const z = tf.tensor2d(rng.normals(batch * config.latentDim), [batch, config.latentDim]);
  const profile = await tf.profile(() => {
    trainStep(gan, gan.losses, real, z);
  });
  const byKernel = new Map<string, [number, number]>();
  for (const k of profile.kernels) {
    const e = byKernel.get(k.name) ?? [0, 0];
    byKernel.set(k.name, [e[0] + 1, e[1] + (k.kernelTimeMs as number)]);
  }
  log('profile of one step (kernel, calls, ms):');
  for (const [name, [n, ms]] of [...byKernel].sort((a, b) => b[1][1] - a[1][1]).slice(0, 15))
    log(`  ${name.padEnd(22)} ${String(n).padStart(4)} ${ms.toFixed(1).padStart(7)}`);
  if (backend === 'native') {
    const calls = timeNativeCalls();
    for (let i = 0; i < 5; i++) trainStep(gan, gan.losses, real, z);
    log('native calls, mean of 5 steps (signature, calls, ms):');
    for (const [key, { calls: n, ms }] of [...calls].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20))
      log(`  ${key.padEnd(70)} ${String(n / 5).padStart(4)} ${(ms / 5).toFixed(2).padStart(7)}`);
  }
  z.dispose();
}

const result = {
  framework: 'gantry',
  backend,
  batch,
  train_step_ms: Math.round(bestMs * 10) / 10,
  train_img_per_s: Math.round(trainImgPerS * 10) / 10,
  wasm_train_img_per_s: wasmBaseline.length ? Math.round((batch / (Math.min(...wasmBaseline) / 1000)) * 10) / 10 : null,
  sample_img_per_s: Math.round(sampleImgPerS * 10) / 10,
  loader_img_per_s: Math.round(loaderImgPerS),
  fashion_loader_img_per_s: fashionLoaderImgPerS == null ? null : Math.round(fashionLoaderImgPerS),
  pytorch_train_img_per_s: torchBest?.train_img_per_s ?? null,
  pytorch_threads: torchBest?.threads ?? null,
  pytorch_sample_img_per_s: torchBest?.sample_img_per_s ?? null,
  ratio_to_pytorch: torchBest ? Math.round((trainImgPerS / torchBest.train_img_per_s) * 1000) / 1000 : null,
  ratio_to_pytorch_median_round: roundRatios.length ? Math.round(median(roundRatios) * 1000) / 1000 : null,
  pytorch_blas: torchBest ? pytorchBlas() : null,
  ...(processes != null && {
    processes,
    parallel_train_img_per_s: parallel.length ? Math.max(...parallel.map((p) => p.train_img_per_s)) : null,
    pytorch_ddp_train_img_per_s: ddp.length ? Math.max(...ddp) : null,
    parallel_over_single_median_round: scalingRatios.length ? Math.round(median(scalingRatios) * 1000) / 1000 : null,
    parallel_over_ddp_median_round: ddpRatios.length ? Math.round(median(ddpRatios) * 1000) / 1000 : null,
    allreduce_bytes_per_step: parallel[0]?.allreduce_bytes_per_step ?? null,
    allreduce_ms_per_step: parallel.length ? median(parallel.map((p) => p.allreduce_ms_per_step)) : null,
    allreduce_ms_by_bytes: parallel[parallel.length - 1]?.allreduce_ms_by_bytes ?? null,
    mpi: parallel[0]?.mpi ?? null,
  }),
  date: new Date().toISOString(),
};
log(
  `training: ${result.train_img_per_s} img/s (${result.train_step_ms} ms/step); sampling: ${result.sample_img_per_s} img/s`,
);
if (result.wasm_train_img_per_s)
  log(
    `wasm backend, same run: ${result.wasm_train_img_per_s} img/s; native/wasm = ${(result.train_img_per_s / result.wasm_train_img_per_s).toFixed(2)}`,
  );
log(
  `data loader alone: ${result.loader_img_per_s} img/s (bundled mnist)${fashionLoaderImgPerS ? `, ${result.fashion_loader_img_per_s} img/s (fashion-mnist, 60,000)` : ''}`,
);
if (torchBest)
  log(
    `pytorch best: ${torchBest.train_img_per_s} img/s (${torchBest.threads} thread(s)); gantry/pytorch = ${result.ratio_to_pytorch} (best rounds), ${result.ratio_to_pytorch_median_round} (median of per-round ratios)`,
  );
else log(`pytorch: not measured (apt-get install -y python3-torch; ${torchScript} not found? --reference DIR)`);
if (result.pytorch_blas != null && !/openblas|mkl|blis/i.test(result.pytorch_blas))
  log(
    `pytorch runs on the reference BLAS (${result.pytorch_blas || 'none found'}), ~5x slower than its best here: apt-get install -y libopenblas0-pthread for a fair comparison`,
  );
if (processes != null)
  log(
    `over ${processes} processes: gantry ${result.parallel_train_img_per_s} img/s (${result.parallel_over_single_median_round}x one process, median round), pytorch DDP ${result.pytorch_ddp_train_img_per_s} img/s (gantry/DDP ${result.parallel_over_ddp_median_round}, median round)`,
  );
if (args.json) console.log(JSON.stringify(result));
disposeGan(gan);
real.dispose();
