import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { DNNL_ADDON } from '../src/backend/dnnl.js';
import { type BackendChoice, nativeLibrariesInUse, useBackend } from '../src/backend/index.js';
import { timeNativeCalls } from '../src/backend/kernel_overrides.js';
import { checkBinding, ORT_VERSION } from '../src/backend/ort.js';
import { resolveConfig } from '../src/config.js';
import { batchTensor, epochOrder } from '../src/data/dataset.js';
import { loadData } from '../src/data/index.js';
import { createGan, disposeGan } from '../src/train/gan.js';
import { trainStep } from '../src/train/step.js';
import { Rng } from '../src/util/random.js';
import { GANTRY, ROOT, tempDir } from './helpers.js';
import { assertClose, assertConvolutionsMatchCpu, cases, convGradients, on } from './kernel_cases.js';

/** Runs `f` with the native backend narrowed to one library (GANTRY_NATIVE_LIBS), restoring the default after. */
async function withLibs(lib: string, f: () => Promise<void>): Promise<void> {
  process.env.GANTRY_NATIVE_LIBS = lib;
  try {
    await f();
  } finally {
    delete process.env.GANTRY_NATIVE_LIBS;
    timeNativeCalls(false);
  }
}

/** The convolutions ran on `lib`, not on a fallback. */
function assertRanOn(lib: string, calls: Map<string, unknown>): void {
  const keys = [...calls.keys()];
  const prefixes = lib === 'onednn' ? ['dnnl 0', 'dnnl 1', 'dnnl 2'] : ['conv ', 'convT ', 'convW '];
  for (const p of prefixes)
    assert.ok(
      keys.some((k) => k.startsWith(p)),
      `${lib}: no native call '${p}…' among ${keys.length}`,
    );
}

test('the oneDNN addon is built and the native backend uses it with ONNX Runtime (setup-debian.sh installs libdnnl-dev)', async () => {
  assert.ok(existsSync(DNNL_ADDON), `${DNNL_ADDON} is missing: npm run build:native (needs libdnnl-dev)`);
  assert.equal(await useBackend('native'), 'native');
  assert.deepEqual(
    nativeLibrariesInUse().map((l) => l.split(' ').slice(0, -1).join(' ')),
    ['oneDNN', 'ONNX Runtime'],
  );
});

for (const lib of ['onednn', 'onnxruntime']) {
  test(`native Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter on ${lib} match the cpu backend`, async () => {
    await withLibs(lib, async () => {
      const calls = timeNativeCalls();
      await assertConvolutionsMatchCpu('native');
      assertRanOn(lib, calls);
    });
  });

  test(`native fused convolutions on ${lib} and matmuls (bias, activations, transposes, broadcast batch) and their gradients match the cpu backend`, () =>
    withLibs(lib, async () => {
      const rng = new Rng(21);
      const x = rng.normals(2 * 9 * 7 * 3),
        w = rng.normals(3 * 3 * 3 * 5),
        bias = rng.normals(5),
        prelu = rng.normals(5);
      const a = rng.normals(3 * 6 * 4),
        b = rng.normals(3 * 4 * 5),
        mb = rng.normals(5);
      const f = () =>
        tf.tidy(() => {
          const out: tf.Tensor[] = [];
          const x4 = tf.tensor4d(x, [2, 9, 7, 3]),
            w4 = tf.tensor4d(w, [3, 3, 3, 5]),
            b1 = tf.tensor1d(bias);
          for (const activation of ['linear', 'relu', 'elu', 'sigmoid', 'leakyrelu', 'relu6', 'prelu'] as const) {
            const preluActivationWeights = activation === 'prelu' ? tf.tensor1d(prelu) : undefined;
            const conv = (xi: tf.Tensor4D, wi: tf.Tensor4D, bi: tf.Tensor1D) =>
              tf.fused.conv2d({
                x: xi,
                filter: wi,
                bias: bi,
                strides: 2,
                pad: 'same',
                activation,
                leakyreluAlpha: 0.1,
                preluActivationWeights,
              });
            out.push(conv(x4, w4, b1));
            out.push(
              ...tf.grads((xi, wi, bi) =>
                tf.sum(tf.square(conv(xi as tf.Tensor4D, wi as tf.Tensor4D, bi as tf.Tensor1D))),
              )([x4, w4, b1]),
            );
          }
          out.push(tf.conv2d(x4, w4, 1, 'valid', 'NHWC', 2)); // dilated
          const a3 = tf.tensor3d(a, [3, 6, 4]),
            b3 = tf.tensor3d(b, [3, 4, 5]);
          out.push(
            tf.matMul(a3, b3),
            tf.matMul(tf.transpose(a3, [0, 2, 1]), b3, true),
            tf.matMul(a3, tf.transpose(b3, [0, 2, 1]), false, true),
          );
          out.push(tf.matMul(tf.tensor3d(a.subarray(0, 24), [1, 6, 4]), b3)); // broadcast batch
          const a2 = tf.tensor2d(a.subarray(0, 24), [6, 4]),
            b2 = tf.tensor2d(b.subarray(0, 20), [4, 5]);
          const dense = (ai: tf.Tensor2D, bi: tf.Tensor2D, ci: tf.Tensor1D) =>
            tf.fused.matMul({ a: ai, b: bi, bias: ci, activation: 'relu' });
          out.push(
            dense(a2, b2, tf.tensor1d(mb)),
            ...tf.grads((ai, bi, ci) => tf.sum(dense(ai as tf.Tensor2D, bi as tf.Tensor2D, ci as tf.Tensor1D)))([
              a2,
              b2,
              tf.tensor1d(mb),
            ]),
          );
          return out;
        });
      const expected = await on('cpu', f);
      const calls = timeNativeCalls();
      const actual = await on('native', f);
      assertRanOn(lib, calls);
      expected.forEach((e, i) => assertClose(actual[i], e, `output ${i}`));
    }));
}

test('native Sum and Mean match the cpu backend, on large tensors and small ones (left to wasm)', async () => {
  const x = new Rng(22).normals(8 * 12 * 10 * 6);
  const f = () =>
    tf.tidy(() => {
      const out: tf.Tensor[] = [];
      for (const shape of [
        [8, 12, 10, 6],
        [2, 3, 2, 2],
      ]) {
        const t = tf.tensor(
          x.subarray(
            0,
            shape.reduce((a, b) => a * b),
          ),
          shape,
        );
        for (const reduce of [tf.sum, tf.mean]) {
          out.push(
            reduce(t, [0, 1, 2]),
            reduce(t, [0, 1, 2], true),
            reduce(t, [1, 2]),
            reduce(t, 3),
            reduce(t, [3, 0], true),
            reduce(t),
          );
        }
      }
      return out;
    });
  const expected = await on('cpu', f);
  const actual = await on('native', f);
  expected.forEach((e, i) => assertClose(actual[i], e, `output ${i}`));
});

test(`onnxruntime-node is pinned to ${ORT_VERSION} and its private binding has the members gantry calls`, () => {
  const require = createRequire(import.meta.url);
  assert.equal((require('onnxruntime-node/package.json') as { version: string }).version, ORT_VERSION);
  const { binding } = require('onnxruntime-node/dist/binding') as { binding: unknown };
  checkBinding(binding);
  // A binding that lost a member is refused with a message naming it.
  const changed = { ...(binding as object), initOrtOnce: undefined };
  assert.throws(() => checkBinding(changed), /binding changed \(missing initOrtOnce\)/);
  class NoRun {
    loadModel() {}
    dispose() {}
  }
  assert.throws(() => checkBinding({ initOrtOnce() {}, InferenceSession: NoRun }), /missing InferenceSession#run/);
});

test('native kernels leak neither tensors, wasm memory nor native memory', async () => {
  await useBackend('native');
  const conv = convGradients(cases[cases.length - 1], 7);
  const a = new Rng(9).normals(64 * 100);
  const f = () => [
    ...conv(),
    ...tf.tidy(() => {
      const a2 = tf.tensor2d(a, [64, 100]);
      return tf.grads((p) => tf.sum(tf.matMul(p as tf.Tensor2D, p as tf.Tensor2D, true, false)))([a2]);
    }),
  ];
  for (let i = 0; i < 20; i++) tf.dispose(f()); // warm up: sessions compile, the heap may grow once
  const tensors = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  const backend = tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array }; numDataIds(): number };
  const heapBytes = backend.wasm.HEAPU8.length;
  const dataIds = backend.numDataIds();
  const rss = process.memoryUsage().rss;
  for (let i = 0; i < 300; i++) tf.dispose(f());
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.memory().numBytes, bytes);
  assert.equal(backend.numDataIds(), dataIds);
  assert.equal(backend.wasm.HEAPU8.length, heapBytes);
  // 300 rounds of ~20 native calls: a leak of even one small buffer per call would show as tens of MB.
  const grown = (process.memoryUsage().rss - rss) / 2 ** 20;
  assert.ok(grown < 16, `resident memory grew by ${grown.toFixed(1)} MiB over 300 rounds`);
});

/** D and G losses of `steps` training steps of the reference DCGAN on real digits, from a fixed seed. */
async function lossCurve(backend: BackendChoice, steps: number): Promise<number[]> {
  await useBackend(backend);
  const config = resolveConfig({ batchSize: 32, seed: 3 });
  const data = await loadData({ ...config, dataset: 'mnist' });
  const gan = createGan(config);
  const order = epochOrder(data.count, config.seed, 1);
  const rng = new Rng(4);
  const losses: number[] = [];
  const tensorCounts: number[] = [];
  for (let step = 1; step <= steps; step++) {
    const real = batchTensor(data, order, step, 32);
    const z = tf.tensor2d(rng.normals(32 * config.latentDim), [32, config.latentDim]);
    const l = trainStep(gan, gan.losses, real, z);
    tf.dispose([real, z]);
    losses.push(l.dLoss, l.gLoss);
    tensorCounts.push(tf.memory().numTensors);
  }
  // Flat from the second step on (the first creates Adam's moments): no tensor leaks a step.
  assert.deepEqual(tensorCounts.slice(1), new Array(steps - 1).fill(tensorCounts[1]), `${backend}: tensors per step`);
  disposeGan(gan);
  return losses;
}

test('a fixed-seed training run on native repeats exactly and follows the wasm run within float tolerance', async () => {
  const steps = 25;
  const wasm = await lossCurve('wasm', steps);
  const native = await lossCurve('native', steps);
  assert.deepEqual(await lossCurve('native', steps), native);
  // Float rounding differs (other summation orders), and a GAN amplifies differences step by step: the first
  // steps agree to 1e-3, the whole curve to 2.5% (measured: 3e-4 over 4 steps, 1% over 25).
  const relative = wasm.map((w, i) => Math.abs(native[i] - w) / Math.abs(w));
  const early = Math.max(...relative.slice(0, 8));
  const worst = Math.max(...relative);
  assert.ok(early < 1e-3, `largest relative loss difference in the first 4 steps ${early}`);
  assert.ok(worst < 0.025, `largest relative loss difference over ${steps} steps ${worst}`);
  // The losses move: this is training, not a constant.
  assert.ok(Math.abs(wasm[0] - wasm[wasm.length - 2]) > 0.05);
});

test('without onnxruntime-node: oneDNN alone runs native; without both, auto falls back to wasm with one notice and --backend native is a one-line error', () => {
  // An installed copy of gantry whose node_modules lacks onnxruntime-node (as on a platform it does not support),
  // first without the oneDNN addon (not built: no libdnnl-dev), then with it.
  const project = tempDir();
  cpSync(join(ROOT, 'dist', 'src'), join(project, 'dist', 'src'), { recursive: true });
  mkdirSync(join(project, 'bin'));
  copyFileSync(GANTRY, join(project, 'bin', 'gantry.js'));
  copyFileSync(join(ROOT, 'package.json'), join(project, 'package.json'));
  symlinkSync(join(ROOT, 'models'), join(project, 'models'));
  mkdirSync(join(project, 'node_modules'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (!name.startsWith('onnxruntime') && !name.startsWith('.'))
      symlinkSync(join(ROOT, 'node_modules', name), join(project, 'node_modules', name));
  }
  const run = (args: string[]) =>
    spawnSync(process.execPath, [join(project, 'bin', 'gantry.js'), ...args], {
      cwd: project,
      encoding: 'utf8',
      env: { ...process.env, GANTRY_CACHE: join(project, 'cache') },
    });
  const auto = run(['train', '--epochs', '1', '--limit', '64', '--batch-size', '32', '--out', 'runs/auto']);
  assert.equal(auto.status, 0, auto.stderr);
  const notices = auto.stderr.split('\n').filter((l) => l.includes('native'));
  const reason =
    'onnxruntime-node is not installed; the oneDNN addon is not built (apt-get install libdnnl-dev, then npm run build:native)';
  assert.deepEqual(notices, [`gantry: native kernels unavailable (${reason}); using wasm`]);
  assert.match(auto.stderr, /with backend wasm into runs\/auto/);
  assert.ok(existsSync(join(project, 'runs', 'auto', 'checkpoint.bin')));
  const native = run(['train', '--backend', 'native', '--epochs', '1', '--limit', '64', '--out', 'runs/native']);
  assert.equal(native.status, 2);
  assert.deepEqual(native.stderr.trim().split('\n'), [
    `gantry train: error: --backend native is unavailable: ${reason}`,
  ]);

  mkdirSync(dirname(DNNL_ADDON.replace(ROOT, project)), { recursive: true });
  copyFileSync(DNNL_ADDON, DNNL_ADDON.replace(ROOT, project));
  const dnnlOnly = run([
    'train',
    '--backend',
    'native',
    '--epochs',
    '1',
    '--limit',
    '64',
    '--batch-size',
    '32',
    '--out',
    'runs/dnnl',
  ]);
  assert.equal(dnnlOnly.status, 0, dnnlOnly.stderr);
  assert.match(dnnlOnly.stderr, /with backend native \(oneDNN [\d.]+\) into runs\/dnnl/);
  assert.ok(existsSync(join(project, 'runs', 'dnnl', 'checkpoint.bin')));
});
