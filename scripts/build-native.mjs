#!/usr/bin/env node
// Builds gantry's native addons at install time: the oneDNN convolutions (native/) and the MPI collectives
// (native/mpi/). Each is optional: where one cannot be built this prints one line about it and still exits 0.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const native = join(dirname(fileURLToPath(import.meta.url)), '..', 'native');
// npm hands its bundled node-gyp to lifecycle scripts; outside npm, look next to npm itself.
const candidates = [
  process.env.npm_config_node_gyp,
  process.env.npm_execpath &&
    join(dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
];
const nodeGyp = candidates.find((p) => p && existsSync(p));

/** Builds the addon in `dir`; returns why it could not, or null. The compiler's output goes to dir/build.log. */
function build(dir, missingHeaders) {
  if (nodeGyp == null) return 'node-gyp not found (run through npm: npm run build:native)';
  const log = join(dir, 'build.log');
  const result = spawnSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: dir, encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}`;
  writeFileSync(log, output);
  if (result.status === 0) return null;
  return missingHeaders.test(output) ? 'headers missing' : `build failed, see ${log}`;
}

// oneDNN convolutions. Optional: without a compiler or Debian's libdnnl-dev the native backend runs its
// convolutions on ONNX Runtime.
const dnnl = build(native, /dnnl\.hpp: No such file/);
if (dnnl)
  console.error(
    `gantry: oneDNN convolutions not built (${dnnl === 'headers missing' ? 'oneDNN headers missing: apt-get install libdnnl-dev' : dnnl}); the native backend uses ONNX Runtime for them`,
  );
else console.error('gantry: built the oneDNN convolution kernels (native/build/Release/gantry_dnnl.node)');

// MPI collectives for data-parallel training (mpirun, --processes). Optional: without Debian's Open MPI gantry
// trains in one process and says so when asked for more.
const mpi = build(join(native, 'mpi'), /mpi\.h: No such file|mpicc: (not found|No such file)|mpicc.*not found/);
if (mpi)
  console.error(
    `gantry: MPI collectives not built (${mpi === 'headers missing' ? 'Open MPI missing: apt-get install libopenmpi-dev openmpi-bin' : mpi}); training runs in one process`,
  );
else console.error('gantry: built the MPI collectives (native/mpi/build/Release/gantry_mpi.node)');
