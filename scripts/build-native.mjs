#!/usr/bin/env node
// Builds gantry's oneDNN addon (native/) at install time. Optional: without a compiler or Debian's libdnnl-dev the
// build fails, this prints one line and exits 0, and the native backend runs its convolutions on ONNX Runtime.
// The compiler's output goes to native/build.log.
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
const log = join(native, 'build.log');
let reason;
if (nodeGyp == null) {
  reason = 'node-gyp not found (run through npm: npm run build:native)';
} else {
  const result = spawnSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: native, encoding: 'utf8' });
  writeFileSync(log, `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ?? ''}`);
  if (result.status !== 0) {
    reason = /dnnl\.hpp: No such file/.test(result.stderr)
      ? 'oneDNN headers missing: apt-get install libdnnl-dev'
      : `build failed, see ${log}`;
  }
}
if (reason)
  console.error(`gantry: oneDNN convolutions not built (${reason}); the native backend uses ONNX Runtime for them`);
else console.error('gantry: built the oneDNN convolution kernels (native/build/Release/gantry_dnnl.node)');
