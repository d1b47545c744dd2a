/**
 * Data-parallel training: P processes (launched by mpirun) split each global batch, average their gradients in
 * one allreduce per network per step and apply the same optimiser update, so their weights stay identical. Every
 * process draws the whole batch's noise and labels from the run's one RNG and keeps its own slice, so together they
 * see exactly what one process would see; the RNG's state stays the same in all of them, and a checkpoint written by
 * rank 0 resumes with any number of processes.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Network } from '../networks/network.js';
import { fnv1a, fnv1aWords } from '../util/hash.js';
import type { Batch } from './plugins.js';

/** The collectives a data-parallel run needs (backend/mpi.ts provides them over MPI). */
export interface Collective {
  rank: number;
  size: number;
  /** The sum over all processes, in place. */
  allreduce(view: Float32Array | Float64Array): void;
  /** Rank `root`'s values into every process's view, in place. */
  broadcast(view: Float32Array | Float64Array | Uint8Array, root: number): void;
}

/** The rows [lo, hi) of an n-image global batch that process `rank` of `size` trains on. */
export function shardOf(n: number, rank: number, size: number): [number, number] {
  return [Math.floor((rank * n) / size), Math.floor(((rank + 1) * n) / size)];
}

const rows = <T extends tf.Tensor>(t: T, lo: number, hi: number): T =>
  tf.slice(t, [lo, ...t.shape.slice(1).map(() => 0)], [hi - lo, ...t.shape.slice(1).map(() => -1)]) as T;

/** This process's slice of a batch: G's input and every per-image tensor of its options. */
export function shardBatch(batch: Batch, lo: number, hi: number): Batch {
  const { input, options } = batch;
  const sliced = {
    input: rows(input, lo, hi),
    realLabels: options.realLabels && rows(options.realLabels, lo, hi),
    fakeLabels: options.fakeLabels && rows(options.fakeLabels, lo, hi),
    condition: options.condition && (options.condition === input ? undefined : rows(options.condition, lo, hi)),
  };
  const condition = options.condition === input ? (sliced.input as tf.Tensor4D) : sliced.condition;
  const made = [sliced.input, sliced.realLabels, sliced.fakeLabels, sliced.condition].filter((t) => t != null);
  return {
    input: sliced.input,
    options: { ...options, realLabels: sliced.realLabels, fakeLabels: sliced.fakeLabels, condition },
    tensors: [...batch.tensors, ...made],
  };
}

/** A tensor's float32 values on the wasm heap (valid until the next allocation), or null on other backends. */
function heapView(t: tf.Tensor): Float32Array | null {
  return tf.getBackend() === 'wasm' ? ((tf.backend() as BackendWasm).typedArrayFromHeap(t) as Float32Array) : null;
}

/**
 * Makes `optimizer` average its gradients over the processes before it applies them: each process's gradients
 * (of its slice's mean loss) weighted by its share of the global batch, summed in one allreduce of one flat
 * buffer. `share()` is this process's images over the global batch's, for the step at hand. On the wasm backend
 * the gradients are gathered from and written back to the heap in place (tfjs's concat and split of the same
 * buffer cost ten times more).
 */
export function averageGradients(optimizer: tf.Optimizer, collective: Collective, share: () => number): void {
  const apply = optimizer.applyGradients.bind(optimizer);
  let flat = new Float32Array(0);
  optimizer.applyGradients = (gradients) => {
    const list = (
      Array.isArray(gradients) ? gradients : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }))
    ).filter((g) => g.tensor != null);
    const size = list.reduce((n, g) => n + g.tensor.size, 0);
    if (flat.length !== size) flat = new Float32Array(size);
    const weight = share();
    let offset = 0;
    for (const { tensor } of list) {
      flat.set(heapView(tensor) ?? (tensor.dataSync() as Float32Array), offset);
      offset += tensor.size;
    }
    for (let i = 0; i < size; i++) flat[i] *= weight;
    collective.allreduce(flat);
    offset = 0;
    const seen = new Set<object>();
    const averaged = list.map(({ name, tensor }) => {
      const part = flat.subarray(offset, offset + tensor.size);
      offset += tensor.size;
      // The gradient tensors are this step's own: on wasm they take the sums in place (unless two of them share
      // their memory, as tfjs's identity kernels allow).
      const shared = seen.has(tensor.dataId);
      seen.add(tensor.dataId);
      const view = shared ? null : heapView(tensor);
      if (view != null) {
        view.set(part);
        return { name, tensor, own: false };
      }
      return { name, tensor: tf.tensor(part, tensor.shape), own: true };
    });
    apply(averaged.map(({ name, tensor }) => ({ name, tensor })));
    tf.dispose(averaged.flatMap((g) => (g.own ? [g.tensor] : [])));
  };
}

/** The sum over processes of a small tensor (BatchNorm's batch moments and their gradients, --sync-batchnorm). */
export function sumOverProcesses(collective: Collective): (t: tf.Tensor) => tf.Tensor {
  return (t) => {
    const values = t.dataSync().slice() as Float32Array;
    collective.allreduce(values);
    return tf.tensor(values, t.shape);
  };
}

/** Every process takes rank 0's values of these variables (weights at the start of a run). */
export function broadcastVariables(collective: Collective, variables: tf.Variable[]): void {
  if (variables.length === 0) return;
  const flat = new Float32Array(variables.reduce((n, v) => n + v.size, 0));
  let offset = 0;
  for (const v of variables) {
    flat.set(v.dataSync() as Float32Array, offset);
    offset += v.size;
  }
  collective.broadcast(flat, 0);
  offset = 0;
  for (const v of variables) {
    const part = flat.subarray(offset, offset + v.size);
    offset += v.size;
    tf.tidy(() => v.assign(tf.tensor(part, v.shape)));
  }
}

/** The processes of a data-parallel run hold different weights (or data): the run stops with this. */
export class ProcessesDifferError extends Error {}

/**
 * What must be the same in every process: the networks' parameters and their optimisers' state (BatchNorm's
 * running statistics are each process's own unless --sync-batchnorm).
 */
export function sharedVariables(...pairs: [Network, tf.Optimizer & { state(v: tf.Variable[]): tf.Variable[] }][]) {
  return pairs.flatMap(([network, optimizer]) => {
    const params = [...network.store.params.values()];
    return [...params, ...optimizer.state(params)];
  });
}

/** FNV-1a over the float32 bits of variables. */
export function weightsFingerprint(variables: tf.Variable[]): string {
  let h: number | undefined;
  for (const v of variables) h = fnv1aWords(new Uint32Array((v.dataSync() as Float32Array).slice().buffer), h);
  return (h ?? 0).toString(16).padStart(8, '0');
}

/**
 * Checks that every process holds the same `value` (a data hash, a weights fingerprint); returns how many
 * processes differ from rank 0 (0: all agree).
 */
export function disagreements(collective: Collective, value: string): number {
  // A 32-bit hash fits a float64 exactly.
  const mine = fnv1a(value);
  const root = new Float64Array([mine]);
  collective.broadcast(root, 0);
  const differ = new Float64Array([root[0] === mine ? 0 : 1]);
  collective.allreduce(differ);
  return differ[0];
}

/** Rank 0's text (e.g. the run folder it chose) in every process. */
export function broadcastText(collective: Collective, text: string): string {
  const length = new Float64Array([Buffer.byteLength(text)]);
  collective.broadcast(length, 0);
  const bytes = new Uint8Array(length[0]);
  if (collective.rank === 0) bytes.set(Buffer.from(text));
  collective.broadcast(bytes, 0);
  return Buffer.from(bytes).toString('utf8');
}
