/**
 * The one place that loads gantry's MPI addon (native/mpi/gantry_mpi.cc, built at install time by
 * scripts/build-native.mjs when Debian's Open MPI is present). A process started by mpirun (or `gantry train
 * --processes N`) uses it to average gradients with the others; without it gantry trains in one process.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface Mpi {
  /** The library, e.g. "Open MPI v4.1.4". */
  version: string;
  rank: number;
  size: number;
  /** The sum over all processes, in place (views of the wasm heap work). */
  allreduce(view: Float32Array | Float64Array): void;
  /** Rank `root`'s values into every process's view, in place. */
  broadcast(view: Float32Array | Float64Array | Uint8Array, root: number): void;
  barrier(): void;
  /** Ends every process of the job with `code`. */
  abort(code: number): never;
  finalize(): void;
}

export const MPI_ADDON = fileURLToPath(new URL('../../../native/mpi/build/Release/gantry_mpi.node', import.meta.url));

/** Whether this process was started by an MPI launcher (Open MPI's mpirun, or a PMI/PMIx one such as Slurm's). */
export function launchedByMpi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.OMPI_COMM_WORLD_SIZE != null || env.PMIX_RANK != null || env.PMI_RANK != null;
}

let loaded: Mpi | null = null;

/** Loads the addon and joins the job (MPI_Init), or throws an Error saying why it cannot. */
export function loadMpi(): Mpi {
  if (loaded) return loaded;
  if (!existsSync(MPI_ADDON)) {
    throw new Error(
      'the MPI addon is not built (apt-get install libopenmpi-dev openmpi-bin, then npm run build:native)',
    );
  }
  type Addon = Omit<Mpi, 'version' | 'rank' | 'size'> & { init(): [number, number]; version(): string };
  const addon = createRequire(import.meta.url)(MPI_ADDON) as Addon;
  const [rank, size] = addon.init();
  loaded = {
    version: addon.version(),
    rank,
    size,
    allreduce: addon.allreduce,
    broadcast: addon.broadcast,
    barrier: addon.barrier,
    abort: addon.abort,
    finalize: addon.finalize,
  };
  return loaded;
}
