/**
 * Data-parallel `gantry train`: joining the job when mpirun started this process, and `--processes N`, which
 * starts mpirun itself with N gantry processes on this machine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { launchedByMpi, loadMpi, MPI_ADDON, type Mpi } from '../backend/mpi.js';
import { UsageError } from '../errors.js';

const GANTRY = fileURLToPath(new URL('../../../bin/gantry.js', import.meta.url));
const INSTALL = 'apt-get install openmpi-bin libopenmpi-dev, then npm run build:native';

/** The MPI job this process belongs to (started by mpirun or a PMI launcher), or null for a plain process. */
export function joinProcesses(): Mpi | null {
  if (!launchedByMpi()) return null;
  if (!existsSync(MPI_ADDON)) {
    throw new UsageError(`this gantry was started by mpirun but its MPI addon is not built (${INSTALL})`);
  }
  return loadMpi();
}

/** The environment mpirun needs: Open MPI refuses to run as root unless told it may. */
function mpirunEnv(): NodeJS.ProcessEnv {
  const root = process.getuid?.() === 0;
  return root ? { ...process.env, OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1' } : process.env;
}

/**
 * Runs `gantry train ARGS` as `processes` processes under mpirun on this machine and returns mpirun's exit code.
 * One process per core is the fastest; more than the cores oversubscribe them (allowed, slower).
 */
export async function launchProcesses(processes: number, args: string[]): Promise<number> {
  if (launchedByMpi()) {
    throw new UsageError('--processes starts mpirun itself; under mpirun the process count is mpirun -np');
  }
  const probe = spawnSync('mpirun', ['--version'], { encoding: 'utf8', env: mpirunEnv() });
  if (probe.error != null || probe.status !== 0)
    throw new UsageError(`--processes needs Open MPI's mpirun (${INSTALL})`);
  if (!existsSync(MPI_ADDON))
    throw new UsageError(`--processes needs gantry's MPI addon, which is not built (${INSTALL})`);
  const mpirunArgs = [
    // gantry's own messages say why a job ended; Open MPI's banners would repeat it.
    '--quiet',
    '-np',
    String(processes),
    ...(processes > cpus().length ? ['--oversubscribe'] : []),
    process.execPath,
    GANTRY,
    'train',
    ...args,
  ];
  // mpirun gets a process group of its own, so Ctrl-C reaches this process only (mpirun would end the job at once):
  // the first asks the processes to stop after their step and save a checkpoint (mpirun passes SIGUSR1 on to
  // them), the second ends the job.
  const child = spawn('mpirun', mpirunArgs, { stdio: 'inherit', env: mpirunEnv(), detached: true });
  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    child.kill(interrupts === 1 ? 'SIGUSR1' : 'SIGINT');
  };
  process.on('SIGINT', onSigint);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
    });
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** The arguments without `--processes N` (or `--processes=N`). */
export function withoutProcesses(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--processes') i++;
    else if (!argv[i].startsWith('--processes=')) out.push(argv[i]);
  }
  return out;
}
