/**
 * Adaptive discriminator augmentation (ADA; Karras et al. 2020, "Training Generative Adversarial Networks with
 * Limited Data"): every image D sees, real or fake, goes through a pipeline of geometric and colour transforms,
 * each applied to each image with probability p, and p follows D's overfitting: every few D steps
 * r = E[sign(D(real))] is compared with a target (0.6) and p moves up or down so that it could cross [0, 1] in
 * `adaKimg` thousand images. All transforms are differentiable in the images (G learns through them), and at
 * p = 0 the pipeline is the identity, so augmentation never leaks into G's images.
 *
 * Geometric (one affine map per image, one bilinear resampling with reflected borders): x-flip, 90° rotations,
 * integer translation (±1/8 of the size), isotropic scaling (lognormal, σ 0.2·ln 2), rotation (before and after
 * the anisotropic scaling, each with probability 1 − √(1 − p) so that "some rotation" has probability ≈ p),
 * anisotropic scaling, fractional translation (σ 1/8 of the size). Colour (one affine colour map per image):
 * brightness (σ 0.2), contrast (lognormal, σ 0.5·ln 2), luma flip, hue rotation, saturation (lognormal, σ ln 2);
 * gray images get brightness, contrast and the luma flip (a sign flip). The paper's values; not done here: its
 * anti-aliasing filter around the geometric warp, the image-space filtering and the cutout/noise group.
 * `--ada-ops` picks the ops (`adaOpsOf`); the lazy R1 of an ADA run goes through the pipeline (train/wiring.ts).
 *
 * Random draws come from the run's seeded Rng; p and the running sum of signs are in the checkpointed TrainState,
 * so a resumed run continues with the same p.
 */
import * as tf from '@tensorflow/tfjs';
import { ADA_GROUPS, type AdaOp } from '../options.js';
import type { Rng } from '../util/random.js';

export { ADA_OPS, type AdaOp } from '../options.js';

const GEOMETRIC = ADA_GROUPS.geometric;
const COLOUR_ONLY_RGB: readonly AdaOp[] = ['hue', 'saturation'];

/** D steps between two adjustments of p (the paper's 4). */
export const ADA_INTERVAL = 4;

type Mat3 = number[]; // row-major 3×3 (2-D affine maps in homogeneous coordinates, colour maps as 3×3 + offset)

const mul3 = (a: Mat3, b: Mat3): Mat3 => {
  const out = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++)
    for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) out[i * 3 + j] += a[i * 3 + k] * b[k * 3 + j];
  return out;
};
const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];
const scale2 = (sx: number, sy: number): Mat3 => [sx, 0, 0, 0, sy, 0, 0, 0, 1];
const translate2 = (tx: number, ty: number): Mat3 => [1, 0, tx, 0, 1, ty, 0, 0, 1];
const rotate2 = (t: number): Mat3 => [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];

function invertAffine(m: Mat3): Mat3 {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  return [e / det, -b / det, (b * f - c * e) / det, -d / det, a / det, (c * d - a * f) / det, 0, 0, 1];
}

/** The ops an `--ada-ops` value names (groups expanded; 'none' names none). */
export function adaOpsOf(spec: string): AdaOp[] {
  if (spec === 'none') return [];
  return spec.split(',').flatMap((name) => ADA_GROUPS[name] ?? [name as AdaOp]);
}

/** Whether each op is on: all of them, or the ones named (tests check the ops one by one). */
const enabled = (only: readonly AdaOp[] | undefined) => (op: AdaOp) => only == null || only.includes(op);

/**
 * Per image, the map from output pixel to input pixel (centred coordinates), or null when no geometric op fired.
 * Each op is applied to the image (output = T·input); sampling needs T⁻¹.
 */
function geometry(n: number, size: number, p: number, rng: Rng, on: (op: AdaOp) => boolean): (Mat3 | null)[] {
  const pRotate = 1 - Math.sqrt(1 - p);
  const lognormal = (sigma: number) => 2 ** (rng.normal() * sigma);
  return Array.from({ length: n }, () => {
    let t = IDENTITY;
    let fired = false;
    const apply = (op: AdaOp, prob: number, make: () => Mat3) => {
      if (!on(op) || rng.uniform() >= prob) return;
      t = mul3(make(), t);
      fired = true;
    };
    apply('xflip', p, () => scale2(1 - 2 * rng.int(2), 1));
    apply('rotate90', p, () => rotate2((Math.PI / 2) * rng.int(4)));
    apply('xint', p, () =>
      translate2(Math.round((rng.uniform() * 0.25 - 0.125) * size), Math.round((rng.uniform() * 0.25 - 0.125) * size)),
    );
    apply('scale', p, () => {
      const s = lognormal(0.2);
      return scale2(s, s);
    });
    apply('rotate', pRotate, () => rotate2((rng.uniform() * 2 - 1) * Math.PI));
    apply('aniso', p, () => {
      const s = lognormal(0.2);
      return scale2(s, 1 / s);
    });
    apply('rotate', pRotate, () => rotate2((rng.uniform() * 2 - 1) * Math.PI));
    apply('xfrac', p, () => translate2(rng.normal() * 0.125 * size, rng.normal() * 0.125 * size));
    return fired ? invertAffine(t) : null;
  });
}

/** Reflects a coordinate into [0, n − 1] (the paper pads by reflection). */
function reflect(u: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let r = u % period;
  if (r < 0) r += period;
  return r > n - 1 ? period - r : r;
}

/** Bilinear resampling of each image through its inverse map (identity rows where it has none): 4 gathers. */
function warp(x: tf.Tensor4D, inverse: (Mat3 | null)[]): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const count = n * h * w;
  const index = Array.from({ length: 4 }, () => new Int32Array(count));
  const weight = Array.from({ length: 4 }, () => new Float32Array(count));
  const cy = (h - 1) / 2,
    cx = (w - 1) / 2;
  for (let i = 0; i < n; i++) {
    const m = inverse[i];
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        const o = (i * h + y) * w + xx;
        let sx = xx,
          sy = y;
        if (m != null) {
          const ox = xx - cx,
            oy = y - cy;
          sx = reflect(m[0] * ox + m[1] * oy + m[2] + cx, w);
          sy = reflect(m[3] * ox + m[4] * oy + m[5] + cy, h);
        }
        const x0 = Math.min(Math.floor(sx), w - 1),
          y0 = Math.min(Math.floor(sy), h - 1);
        const x1 = Math.min(x0 + 1, w - 1),
          y1 = Math.min(y0 + 1, h - 1);
        const fx = sx - x0,
          fy = sy - y0;
        const base = i * h * w;
        index[0][o] = base + y0 * w + x0;
        index[1][o] = base + y0 * w + x1;
        index[2][o] = base + y1 * w + x0;
        index[3][o] = base + y1 * w + x1;
        weight[0][o] = (1 - fx) * (1 - fy);
        weight[1][o] = fx * (1 - fy);
        weight[2][o] = (1 - fx) * fy;
        weight[3][o] = fx * fy;
      }
    }
  }
  const flat = tf.reshape(x, [count, c]);
  let out: tf.Tensor = tf.zeros([count, c]);
  for (let k = 0; k < 4; k++) {
    out = tf.add(out, tf.mul(tf.gather(flat, tf.tensor1d(index[k], 'int32')), tf.tensor2d(weight[k], [count, 1])));
  }
  return tf.reshape(out, [n, h, w, c]);
}

/** Per image, the colour map (3×3 matrix, offset) or null when no colour op fired. */
function colours(
  n: number,
  channels: number,
  p: number,
  rng: Rng,
  on: (op: AdaOp) => boolean,
): ({ m: Mat3; b: number } | null)[] {
  // The luma axis: gray in RGB.
  const v = 1 / Math.sqrt(3);
  const vvT: Mat3 = [v * v, v * v, v * v, v * v, v * v, v * v, v * v, v * v, v * v];
  const lerp = (a: Mat3, b: Mat3, t: number): Mat3 => a.map((ai, k) => ai + (b[k] - ai) * t);
  return Array.from({ length: n }, () => {
    let m = IDENTITY;
    let b = 0;
    let fired = false;
    const apply = (op: AdaOp, f: () => void) => {
      if (!on(op) || (channels === 1 && COLOUR_ONLY_RGB.includes(op)) || rng.uniform() >= p) return;
      f();
      fired = true;
    };
    apply('brightness', () => {
      b += rng.normal() * 0.2;
    });
    apply('contrast', () => {
      const c = 2 ** (rng.normal() * 0.5);
      m = m.map((x) => x * c);
      b *= c;
    });
    apply('lumaflip', () => {
      // I − 2vvᵀ: the colour reflected through the gray plane (gray images: the sign flipped). It maps the offset's
      // direction (1, 1, 1) to its negative.
      if (rng.int(2) === 0) return;
      m = mul3(channels === 1 ? [-1, 0, 0, 0, 1, 0, 0, 0, 1] : IDENTITY.map((x, k) => x - 2 * vvT[k]), m);
      b = -b;
    });
    apply('hue', () => {
      // Rodrigues' rotation about the luma axis (the offset, along it, stays).
      const t = (rng.uniform() * 2 - 1) * Math.PI;
      const cos = Math.cos(t),
        sin = Math.sin(t);
      const k: Mat3 = [0, -v, v, v, 0, -v, -v, v, 0];
      const k2 = mul3(k, k);
      const r = IDENTITY.map((x, i) => x + sin * k[i] + (1 - cos) * k2[i]);
      m = mul3(r, m);
    });
    apply('saturation', () => {
      const s = 2 ** rng.normal();
      m = mul3(lerp(vvT, IDENTITY, s), m);
    });
    return fired ? { m, b } : null;
  });
}

/** y = M·x + b per image (b along every channel), identity rows where an image has no colour map. */
function recolour(x: tf.Tensor4D, maps: ({ m: Mat3; b: number } | null)[]): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const matrices = new Float32Array(n * c * c);
  const offsets = new Float32Array(n * c);
  maps.forEach((map, i) => {
    const m = map?.m ?? IDENTITY;
    for (let r = 0; r < c; r++) {
      // y_r = Σ_k M[r][k] x_k: as [1, C] · [C, C] the matrix is stored transposed.
      for (let k = 0; k < c; k++) matrices[(i * c + k) * c + r] = m[r * 3 + k];
      offsets[i * c + r] = map?.b ?? 0;
    }
  });
  const flat = tf.reshape(x, [n, h * w, c]);
  const y = tf.add(tf.matMul(flat, tf.tensor3d(matrices, [n, c, c])), tf.tensor3d(offsets, [n, 1, c]));
  return tf.reshape(y, [n, h, w, c]);
}

/**
 * The ADA pipeline at probability p on NHWC images in [−1, 1] (square): geometric ops, then colour ops. `only`
 * restricts it to some ops (tests, ablations). p = 0 returns x itself.
 */
export function adaAugment(x: tf.Tensor4D, p: number, rng: Rng, only?: readonly AdaOp[]): tf.Tensor4D {
  if (p <= 0) return x;
  const on = enabled(only);
  const [n, h, , c] = x.shape;
  return tf.tidy(() => {
    let y = x;
    if (GEOMETRIC.some(on)) {
      const inverse = geometry(n, h, p, rng, on);
      if (inverse.some((m) => m != null)) y = warp(y, inverse);
    }
    const maps = colours(n, c, p, rng, on);
    if (maps.some((m) => m != null)) y = recolour(y, maps);
    return y;
  });
}

/** What ADA keeps in the run's checkpointed state. */
export interface AdaState {
  /** The augmentation probability now. */
  p: number;
  /** Σ sign(D(real)) and the number of real images judged since the last adjustment. */
  signSum: number;
  count: number;
}

/**
 * After D step `dStep` (from 1): adds the real logits' signs, and every ADA_INTERVAL D steps moves p by
 * sign(r − target) · (images in the interval) / (kimg · 1000), clamped to [0, 1]. `sum` adds the counts over the
 * processes of a data-parallel run (they all then move p alike). Returns r when p moved, else null.
 */
export function adaObserve(
  ada: AdaState,
  realSigns: { sum: number; count: number },
  dStep: number,
  target: number,
  kimg: number,
  sum?: (values: Float64Array) => void,
): number | null {
  ada.signSum += realSigns.sum;
  ada.count += realSigns.count;
  if (dStep % ADA_INTERVAL !== 0) return null;
  const totals = new Float64Array([ada.signSum, ada.count]);
  sum?.(totals);
  const [signs, images] = totals;
  ada.signSum = 0;
  ada.count = 0;
  if (images === 0) return null;
  const r = signs / images;
  ada.p = Math.min(1, Math.max(0, ada.p + (Math.sign(r - target) * images) / (kimg * 1000)));
  return r;
}
