/** The network families and their options: shapes, conditioning, spectral norm, init, attention, leaks, and
 * second-order gradients (gradient penalties) against finite differences on the cpu backend. */

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { type FamilyName, FAMILIES as REGISTRY } from '../src/networks/families.js';
import { minibatchStd, type RunMode } from '../src/networks/layers.js';
import type { Network, NetworkSpec } from '../src/networks/network.js';
import { pathLengthPenalty } from '../src/train/path_length.js';
import { gradientPenalty, r1Penalty } from '../src/train/penalties.js';
import { Rng } from '../src/util/random.js';

const FAMILIES = ['dcgan', 'resnet'] as const;

before(async () => {
  await useBackend('wasm');
});

function spec(overrides: Partial<NetworkSpec> = {}): NetworkSpec {
  return {
    latentDim: 16,
    imageSize: 28,
    channels: 1,
    numClasses: 0,
    conditioning: 'none',
    spectralNorm: 'none',
    attention: 0,
    minibatchStd: false,
    init: 'pytorch',
    ...overrides,
  };
}

function build(family: FamilyName, s: NetworkSpec): { g: Network; d: Network } {
  return { g: REGISTRY[family].generator(s, 1), d: REGISTRY[family].discriminator(s, 2) };
}

function dispose(...nets: Network[]): void {
  for (const n of nets) n.store.dispose();
}

const TRAIN: RunMode = { training: true };
const INFER: RunMode = { training: false };

function randomImages(rng: Rng, n: number, s: NetworkSpec): tf.Tensor4D {
  return tf.tensor4d(rng.uniforms(n * s.imageSize * s.imageSize * s.channels, -1, 1), [
    n,
    s.imageSize,
    s.imageSize,
    s.channels,
  ]);
}

test('output shapes of every family, image size and channel count', () => {
  const rng = new Rng(3);
  for (const family of FAMILIES) {
    for (const imageSize of [28, 32, 64]) {
      for (const channels of [1, 3]) {
        const s = spec({ imageSize, channels });
        const { g, d } = build(family, s);
        tf.tidy(() => {
          const z = tf.tensor2d(rng.normals(2 * s.latentDim), [2, s.latentDim]);
          for (const mode of [TRAIN, INFER]) {
            const images = g.apply(z, mode);
            assert.deepEqual(images.shape, [2, imageSize, imageSize, channels], `${family} G ${imageSize} ${channels}`);
            assert.deepEqual(d.apply(images, mode).shape, [2, 1], `${family} D ${imageSize} ${channels}`);
          }
        });
        assert.deepEqual(g.outputShape, [imageSize, imageSize, channels]);
        dispose(g, d);
      }
    }
  }
});

test('conditional networks: label-dependent G, projection and ACGAN heads, missing labels rejected', () => {
  const rng = new Rng(4);
  for (const family of FAMILIES) {
    for (const conditioning of ['projection', 'acgan'] as const) {
      const s = spec({ numClasses: 5, conditioning });
      const { g, d } = build(family, s);
      // Conditional BatchNorm starts as plain BatchNorm; give its per-class tables distinct rows.
      tf.tidy(() => {
        for (const [name, v] of g.store.params) {
          if (/\/(gamma|beta)$/.test(name)) {
            assert.deepEqual(v.shape.slice(0, 1), [5], `${name} is a per-class table`);
            v.assign(tf.add(v, tf.tensor(rng.normals(v.size), v.shape).mul(0.3)));
          }
        }
      });
      tf.tidy(() => {
        const z = tf.tensor2d(rng.normals(3 * s.latentDim), [3, s.latentDim]);
        const a = g.apply(z, INFER, tf.tensor1d([0, 1, 2], 'int32'));
        const b = g.apply(z, INFER, tf.tensor1d([3, 1, 4], 'int32'));
        const diff = tf.abs(tf.sub(a, b)).max([1, 2, 3]).dataSync();
        assert.ok(diff[0] > 1e-3 && diff[2] > 1e-3, `${family}: G output depends on the label`);
        assert.equal(diff[1], 0, `${family}: same label, same output`);
        assert.throws(() => g.apply(z, INFER), /labels/);
        const logits = d.apply(a, TRAIN, tf.tensor1d([0, 1, 2], 'int32'));
        assert.deepEqual(logits.shape, [3, conditioning === 'acgan' ? 6 : 1]);
        assert.deepEqual(d.outputShape, [conditioning === 'acgan' ? 6 : 1]);
        if (conditioning === 'projection') {
          assert.throws(() => d.apply(a, TRAIN), /labels/);
          const other = d.apply(a, INFER, tf.tensor1d([4, 4, 4], 'int32'));
          const same = d.apply(a, INFER, tf.tensor1d([0, 1, 2], 'int32'));
          assert.ok(
            tf.abs(tf.sub(other, same)).max().dataSync()[0] > 1e-4,
            `${family}: projection D depends on the label`,
          );
        }
      });
      dispose(g, d);
    }
    // conditioning 'none' with classes: unconditional networks.
    const { g, d } = build(family, spec({ numClasses: 5, conditioning: 'none' }));
    tf.tidy(() => assert.deepEqual(d.apply(g.apply(tf.zeros([2, 16]), TRAIN), TRAIN).shape, [2, 1]));
    dispose(g, d);
  }
});

/** The largest singular value of a rows × cols matrix, by many power iterations in float64. */
function spectralNorm(w: Float32Array, rows: number, cols: number): number {
  let u = new Float64Array(cols).fill(1);
  let sigma = 0;
  for (let it = 0; it < 500; it++) {
    const v = new Float64Array(rows);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) v[r] += w[r * cols + c] * u[c];
    const nu = new Float64Array(cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) nu[c] += w[r * cols + c] * v[r];
    const norm = Math.hypot(...nu);
    sigma = Math.sqrt(norm);
    u = nu.map((x) => x / norm);
  }
  return sigma;
}

test('spectral norm: u buffers, updated by training passes only, normalised weights of norm 1', () => {
  const rng = new Rng(5);
  for (const family of FAMILIES) {
    const s = spec({ spectralNorm: 'both' });
    const { g, d } = build(family, s);
    const convName = family === 'dcgan' ? 'conv2' : 'block2/conv1';
    assert.ok(d.store.buffers.has(`${convName}/sn_u`), `${family}: ${convName}/sn_u is a buffer`);
    assert.ok(g.store.buffers.has('dense/sn_u'), `${family}: G has spectral norm with 'both'`);
    assert.ok(
      !build(family, spec({ spectralNorm: 'd' })).g.store.buffers.has('dense/sn_u'),
      `${family}: G has none with 'd'`,
    );
    const u = d.store.buffers.get(`${convName}/sn_u`)!;
    const x = randomImages(rng, 2, s);
    const before = u.dataSync().slice();
    tf.tidy(() => d.apply(x, INFER));
    assert.deepEqual(u.dataSync(), before, 'an inference pass leaves u alone');
    tf.tidy(() => d.apply(x, { training: true, updateStats: false }));
    assert.deepEqual(u.dataSync(), before, 'updateStats: false leaves u alone');
    tf.tidy(() => d.apply(x, TRAIN));
    assert.notDeepEqual(u.dataSync(), before, 'a training pass updates u');
    for (let i = 0; i < 30; i++) tf.tidy(() => d.apply(x, TRAIN));
    const kernel = d.store.params.get(`${convName}/kernel`)!;
    const [kh, kw, ci, co] = kernel.shape;
    const sigma = tf.tidy(() => {
      const w = kernel.dataSync();
      const uu = d.store.buffers.get(`${convName}/sn_u`)!;
      const vv = d.store.buffers.get(`${convName}/sn_v`)!;
      const estimate = tf.sum(
        tf.mul(tf.matMul(tf.reshape(kernel, [kh * kw * ci, co]), tf.reshape(uu, [co, 1])), tf.reshape(vv, [-1, 1])),
      );
      return spectralNorm(w as Float32Array, kh * kw * ci, co) / estimate.dataSync()[0];
    });
    assert.ok(Math.abs(sigma - 1) < 0.02, `${family}: ‖W/σ‖₂ = ${sigma}`);
    x.dispose();
    dispose(g, d);
  }
});

test("init 'normal' is N(0, 0.02) with zero biases; 'orthogonal' gives orthonormal matrices", () => {
  for (const family of FAMILIES) {
    const { g, d } = build(family, spec({ init: 'normal' }));
    const kernel = d.store.params
      .get(family === 'dcgan' ? 'conv3/kernel' : 'block3/conv1/kernel')!
      .dataSync() as Float32Array;
    const mean = kernel.reduce((a, b) => a + b, 0) / kernel.length;
    const std = Math.sqrt(kernel.reduce((a, b) => a + (b - mean) ** 2, 0) / kernel.length);
    assert.ok(Math.abs(std - 0.02) < 0.001 && Math.abs(mean) < 0.001, `${family}: std ${std}, mean ${mean}`);
    for (const [name, v] of [...g.store.params, ...d.store.params]) {
      if (name.endsWith('/bias'))
        assert.equal(
          tf.tidy(() => tf.abs(v).max().dataSync()[0]),
          0,
          `${name} is zero`,
        );
    }
    dispose(g, d);
    const o = build(family, spec({ init: 'orthogonal' }));
    // D's conv kernel as [kh·kw·in, out] has orthonormal columns; G's dense [latentDim, s·s·w] orthonormal rows.
    const cases: [tf.Variable, boolean][] = [
      [o.d.store.params.get(family === 'dcgan' ? 'conv2/kernel' : 'block2/conv1/kernel')!, true],
      [o.g.store.params.get('dense/kernel')!, false],
    ];
    for (const [v, columns] of cases) {
      const err = tf.tidy(() => {
        const cols = v.shape[v.rank - 1];
        const w = tf.reshape(v, [-1, cols]) as tf.Tensor2D;
        const gram = columns ? tf.matMul(w, w, true, false) : tf.matMul(w, w, false, true);
        return tf
          .abs(tf.sub(gram, tf.eye(gram.shape[0])))
          .max()
          .dataSync()[0];
      });
      assert.ok(err < 1e-4, `${family} ${v.name}: |WᵀW − I| ≤ ${err}`);
    }
    dispose(o.g, o.d);
  }
});

test('attention at a size no layer has throws, naming the valid sizes', () => {
  for (const family of FAMILIES) {
    for (const [imageSize, sizes] of [
      [28, /7 or 14/],
      [32, /8 or 16/],
      [64, /16 or 32/],
    ] as const) {
      assert.throws(() => REGISTRY[family].generator(spec({ imageSize, attention: 5 }), 1), sizes);
      assert.throws(() => REGISTRY[family].discriminator(spec({ imageSize, attention: imageSize }), 1), sizes);
    }
    for (const attention of [7, 14]) {
      const { g, d } = build(family, spec({ attention }));
      assert.ok([...g.store.params.keys()].includes('attention/gamma'), `${family} G has attention at ${attention}`);
      assert.ok([...d.store.params.keys()].includes('attention/gamma'), `${family} D has attention at ${attention}`);
      dispose(g, d);
    }
  }
});

test("--d-norm none: dcgan's D has no BatchNorm, and in training mode an image's logit ignores the rest of the batch", () => {
  const x = tf.randomUniform([4, 28, 28, 1], -1, 1, 'float32', 3);
  const logitOfFirst = (d: Network, batch: tf.Tensor) =>
    tf.tidy(() => (d.apply(batch, TRAIN) as tf.Tensor).dataSync()[0]);
  for (const [dNorm, coupled] of [
    ['batch', true],
    ['none', false],
  ] as const) {
    const d = REGISTRY.dcgan.discriminator(spec({ dNorm }), 2);
    assert.equal(
      [...d.store.params.keys()].some((k) => k.startsWith('bn')),
      coupled,
      `${dNorm}: BatchNorm params`,
    );
    const alone = logitOfFirst(d, x.slice(0, 2));
    const together = logitOfFirst(d, x);
    assert.equal(Math.abs(alone - together) > 1e-4, coupled, `${dNorm}: ${alone} vs ${together}`);
    dispose(d);
  }
  x.dispose();
});

test('only the plain dcgan generator has a layers model for export', () => {
  const plain = build('dcgan', spec({ init: 'orthogonal', spectralNorm: 'd', minibatchStd: true }));
  assert.equal(typeof plain.g.layers, 'function');
  dispose(plain.g, plain.d);
  for (const s of [
    spec({ spectralNorm: 'both' }),
    spec({ attention: 7 }),
    spec({ numClasses: 3, conditioning: 'acgan' }),
  ]) {
    const { g, d } = build('dcgan', s);
    assert.equal(g.layers, undefined);
    dispose(g, d);
  }
  const { g, d } = build('resnet', spec());
  assert.equal(g.layers, undefined);
  dispose(g, d);
});

test('no tensors leak across repeated apply calls', () => {
  const rng = new Rng(6);
  const everything = spec({
    numClasses: 3,
    conditioning: 'projection',
    spectralNorm: 'both',
    attention: 7,
    minibatchStd: true,
    init: 'orthogonal',
  });
  for (const family of FAMILIES) {
    for (const s of [spec(), everything, { ...everything, conditioning: 'acgan' as const }]) {
      const { g, d } = build(family, s);
      const z = tf.tensor2d(rng.normals(4 * s.latentDim), [4, s.latentDim]);
      const labels = tf.tensor1d([0, 1, 2, 0], 'int32');
      const run = () =>
        tf.tidy(() => {
          for (const mode of [TRAIN, INFER, { training: true, secondOrder: true }]) {
            const images = g.apply(z, mode, labels);
            d.apply(images, mode, labels);
            tf.grad((x) => tf.sum(d.apply(x, mode, labels)))(images);
          }
        });
      run();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) run();
      assert.equal(tf.memory().numTensors, before, `${family} ${s.conditioning}`);
      tf.dispose([z, labels]);
      dispose(g, d);
    }
  }
});

test("minibatch std: groups of 4 take images i, i + N/4, …; each image gets its group's spread; 0 is the whole batch", () => {
  const rng = new Rng(4);
  const [n, h, w, c] = [8, 2, 3, 2];
  const values = rng.normals(n * h * w * c);
  const x = tf.tensor4d(values, [n, h, w, c]);
  const at = (i: number, p: number) => values[i * h * w * c + p];
  // By hand: per position, the population std over the group's images, then the mean over positions and channels.
  const spread = (members: number[]) => {
    let sum = 0;
    for (let p = 0; p < h * w * c; p++) {
      const mean = members.reduce((a, i) => a + at(i, p), 0) / members.length;
      sum += Math.sqrt(members.reduce((a, i) => a + (at(i, p) - mean) ** 2, 0) / members.length + 1e-8);
    }
    return sum / (h * w * c);
  };
  const channelOf = (y: tf.Tensor4D) => {
    assert.deepEqual(y.shape.slice(1), [h, w, c + 1]);
    const data = y.dataSync();
    for (let i = 0; i < y.shape[0]; i++)
      for (let p = 0; p < h * w; p++)
        assert.equal(data[(i * h * w + p) * (c + 1) + c], data[i * h * w * (c + 1) + c], 'constant over positions');
    return Array.from({ length: y.shape[0] }, (_, i) => data[i * h * w * (c + 1) + c]);
  };
  const grouped = channelOf(minibatchStd(x, 4));
  for (let i = 0; i < n; i++) {
    const expected = spread([0, 1, 2, 3].map((k) => (i % 2) + 2 * k));
    assert.ok(Math.abs(grouped[i] - expected) < 1e-5, `image ${i}: ${grouped[i]} vs ${expected}`);
  }
  assert.notEqual(grouped[0], grouped[1], 'two groups, two spreads');
  const whole = channelOf(minibatchStd(x));
  const all = spread([0, 1, 2, 3, 4, 5, 6, 7]);
  for (const v of whole) assert.ok(Math.abs(v - all) < 1e-5);
  // A batch of 6 with groups of 4: the largest divisor at most 4 (3).
  const six = channelOf(minibatchStd(tf.slice(x, 0, 6) as tf.Tensor4D, 4));
  assert.ok(Math.abs(six[0] - spread([0, 2, 4])) < 1e-5);
  x.dispose();
});

/**
 * ReLU makes ∂D/∂x jump wherever a unit changes sides, so P = ‖∂D/∂x‖² is discontinuous in the parameters and
 * finite differences over a network with ~10⁵ units never settle (a unit flips for any step float32 can resolve).
 * The check therefore swaps ReLU, on the cpu backend and for the check only, for a softplus of sharpness β
 * (kernel and gradient both registered by name, then restored): every other op runs as in training.
 */
const BETA = 4;
function withSmoothRelu<T>(f: () => T): T {
  const kernel = tf.getKernel(tf.Relu, 'cpu')!;
  const gradient = tf.getGradient(tf.Relu)!;
  const warn = console.warn;
  console.warn = () => {};
  tf.unregisterKernel(tf.Relu, 'cpu');
  tf.registerKernel({
    kernelName: tf.Relu,
    backendName: 'cpu',
    kernelFunc: ({ inputs, backend }) => {
      const x = inputs.x as tf.TensorInfo;
      const cpu = backend as unknown as {
        data: { get(id: unknown): { values: Float32Array } };
        makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo;
      };
      const values = cpu.data.get(x.dataId).values;
      const out = values.map((v) => (v > 20 / BETA ? v : Math.log1p(Math.exp(BETA * v)) / BETA));
      return cpu.makeTensorInfo(x.shape, 'float32', out);
    },
  });
  tf.registerGradient({
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => tf.mul(dy as tf.Tensor, tf.sigmoid(tf.mul(saved[0], BETA))) }),
  });
  try {
    return f();
  } finally {
    tf.unregisterKernel(tf.Relu, 'cpu');
    tf.registerKernel(kernel);
    tf.registerGradient(gradient);
    console.warn = warn;
  }
}

/** The finite-difference step: h = 1 along directions of size 1e-2 relative to the parameters. */
const STEP = Number(process.env.GANTRY_FD_STEP ?? 1e-2);

/**
 * P = R1 on x plus the WGAN-GP penalty on interpolates of x and its mirror image: the two penalties training uses
 * (src/train/penalties.ts), through D's real/fake logit as training's penalty passes see it.
 */
function penalty(d: Network, x: tf.Tensor4D, labels: tf.Tensor1D | undefined, mode: RunMode): tf.Scalar {
  return tf.tidy(() => {
    const critic = (xx: tf.Tensor4D) => {
      const out = d.apply(xx, mode, labels);
      return out.shape[1] === 1 ? out : tf.slice(out, [0, 0], [-1, 1]);
    };
    return tf.add(
      r1Penalty(critic, x),
      gradientPenalty(critic, x, tf.reverse(x, 2), Float32Array.from([0.3, 0.8].slice(0, x.shape[0]))),
    ) as tf.Scalar;
  });
}

/**
 * The gradient of P w.r.t. D's parameters along a random direction, by tf (a gradient of a gradient) and by a
 * central finite difference. Buffers stay fixed (updateStats false), so P is a function of the parameters only.
 */
function secondOrderCheck(d: Network, s: NetworkSpec, secondOrder: boolean): { tape: number; fd: number; p0: number } {
  const rng = new Rng(11);
  const mode: RunMode = { training: true, updateStats: false, secondOrder };
  // Two images: enough for batch statistics and the mirrored interpolates; each one more costs the cpu backend ~40%.
  const x = randomImages(rng, 2, s);
  const labels = s.numClasses > 0 ? tf.tensor1d([0, 2], 'int32') : undefined;
  const params = [...d.store.params.values()];
  // Parameters that start at 0 (attention's γ) would hide their branch: start them away from it.
  tf.tidy(() => {
    for (const p of params) if (p.name.endsWith('attention/gamma')) p.assign(tf.fill(p.shape, 0.7));
  });
  // A small step relative to each parameter's scale, so that few ReLUs change sides between the two evaluations.
  const directions = params.map((p) =>
    tf.tidy(() => {
      const scale = Math.max(tf.sqrt(tf.mean(tf.square(p))).dataSync()[0], 0.05);
      return tf.mul(tf.tensor(rng.normals(p.size), p.shape), scale * STEP);
    }),
  );
  const { grads } = tf.variableGrads(() => penalty(d, x, labels, mode), params);
  // A parameter P does not depend on (D's last bias) has no gradient.
  const tape = tf.tidy(() =>
    params.reduce(
      (acc, p, i) => acc + (grads[p.name] ? tf.sum(tf.mul(grads[p.name], directions[i])).dataSync()[0] : 0),
      0,
    ),
  );
  const originals = params.map((p) => tf.clone(p));
  const h = 1;
  const at = (t: number): number => {
    tf.tidy(() => params.forEach((p, i) => p.assign(tf.add(originals[i], tf.mul(directions[i], t)))));
    return tf.tidy(() => penalty(d, x, labels, mode).dataSync()[0]);
  };
  const fd = (at(h) - at(-h)) / (2 * h);
  const p0 = at(0);
  tf.dispose([x, ...(labels ? [labels] : []), ...directions, ...Object.values(grads), ...originals]);
  return { tape, fd, p0 };
}

const SECOND_ORDER_CASES: [string, FamilyName, Partial<NetworkSpec>][] = [
  ['dcgan (BatchNorm)', 'dcgan', {}],
  ['dcgan + spectral norm', 'dcgan', { spectralNorm: 'd' }],
  ['dcgan + minibatch std', 'dcgan', { minibatchStd: true }],
  ['dcgan + attention 14', 'dcgan', { attention: 14 }],
  ['dcgan + projection, 3 channels', 'dcgan', { numClasses: 3, conditioning: 'projection', channels: 3 }],
  ['dcgan + acgan, orthogonal', 'dcgan', { numClasses: 3, conditioning: 'acgan', init: 'orthogonal' }],
  // resnet on the cpu backend costs ~25 s a case: one case with every D option, one plain (no spectral norm).
  [
    'resnet + attention 7 + projection + spectral norm + minibatch std',
    'resnet',
    { attention: 7, numClasses: 3, conditioning: 'projection', spectralNorm: 'd', minibatchStd: true },
  ],
  ['resnet + acgan, 32×32', 'resnet', { numClasses: 3, conditioning: 'acgan', imageSize: 32 }],
  ['stylegan (residual D, minibatch std, equalised lr)', 'stylegan', { dWidth: 4 }],
  [
    'stylegan + projection, 3 channels, 32×32',
    'stylegan',
    { numClasses: 3, conditioning: 'projection', channels: 3, imageSize: 32, dWidth: 4 },
  ],
];

for (const [what, family, overrides] of SECOND_ORDER_CASES) {
  test(`gradients of the R1 and WGAN-GP penalties match finite differences: ${what} (cpu)`, async () => {
    await useBackend('cpu');
    try {
      const s = spec(overrides);
      const d = REGISTRY[family].discriminator(s, 2);
      const { tape, fd, p0 } = withSmoothRelu(() => secondOrderCheck(d, s, true));
      d.store.dispose();
      if (process.env.GANTRY_FD_DEBUG) console.log(what, { p0, tape, fd });
      // P changes by more than 0.01% along the step (200× float32 noise): the gradient is not ~0, so a missing term would show.
      assert.ok(Math.abs(fd) > 1e-4 * p0, `the check can fail: finite difference ${fd} is not ~0 (P = ${p0})`);
      assert.ok(Math.abs(tape - fd) <= 0.03 * Math.abs(fd), `tape ${tape} vs finite difference ${fd}`);
    } finally {
      await useBackend('wasm');
    }
  });
}

test('path-length regularisation: its gradient for the weights of G matches finite differences (cpu)', async () => {
  await useBackend('cpu');
  try {
    const g = REGISTRY.stylegan.generator(spec({ channels: 3, gWidth: 4 }), 3);
    const params = [...g.store.params.values()];
    const state = { mean: 0.5 };
    // A pure function of the weights: the same draws each time, the running mean reset.
    const penalty = () => {
      state.mean = 0.5;
      return pathLengthPenalty(g, 2, 16, 0, new Rng(5), state);
    };
    const rng = new Rng(6);
    const directions = params.map((p) =>
      tf.tidy(() => {
        const scale = Math.max(tf.sqrt(tf.mean(tf.square(p))).dataSync()[0], 0.05);
        return tf.mul(tf.tensor(rng.normals(p.size), p.shape), scale * STEP);
      }),
    );
    const { tape, fd, p0, moved } = withSmoothRelu(() => {
      const { value, grads } = tf.variableGrads(penalty, params);
      const moved = state.mean - 0.5;
      // The mapping network gets a gradient only through the gradient of synthesis: the term a first-order tape drops.
      const mapping = [...g.store.params].filter(([name]) => name.startsWith('mapping/'));
      assert.ok(
        mapping.every(
          ([, v]) => grads[v.name] != null && tf.tidy(() => tf.max(tf.abs(grads[v.name])).dataSync()[0]) > 0,
        ),
      );
      const tape = tf.tidy(() =>
        params.reduce(
          (acc, p, i) => acc + (grads[p.name] ? tf.sum(tf.mul(grads[p.name], directions[i])).dataSync()[0] : 0),
          0,
        ),
      );
      const originals = params.map((p) => tf.clone(p));
      const at = (t: number) => {
        tf.tidy(() => params.forEach((p, i) => p.assign(tf.add(originals[i], tf.mul(directions[i], t)))));
        return tf.tidy(() => penalty().dataSync()[0]);
      };
      const fd = (at(1) - at(-1)) / 2;
      const p0 = at(0);
      tf.dispose([value, ...Object.values(grads), ...originals]);
      return { tape, fd, p0, moved };
    });
    tf.dispose(directions);
    g.store.dispose();
    if (process.env.GANTRY_FD_DEBUG) console.log('path length', { p0, tape, fd, moved });
    // The running mean moved (by 1% of the gap to this pass's mean length).
    assert.ok(moved !== 0, 'the running mean moved');
    assert.ok(Math.abs(fd) > 1e-4 * p0, `the check can fail: finite difference ${fd} is not ~0 (P = ${p0})`);
    assert.ok(Math.abs(tape - fd) <= 0.03 * Math.abs(fd), `tape ${tape} vs finite difference ${fd}`);
  } finally {
    await useBackend('wasm');
  }
});

test("without secondOrder, BatchNorm's hand-written gradient gets the second derivative wrong (why the flag exists)", async () => {
  await useBackend('cpu');
  try {
    const s = spec();
    const d = REGISTRY.dcgan.discriminator(s, 2);
    const { tape, fd } = withSmoothRelu(() => secondOrderCheck(d, s, false));
    d.store.dispose();
    assert.ok(Math.abs(tape - fd) > 0.1 * Math.abs(fd), `tape ${tape} vs finite difference ${fd}`);
  } finally {
    await useBackend('wasm');
  }
});
