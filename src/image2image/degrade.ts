/**
 * Degradations that turn a real image into a pix2pix generator input (super-resolution, colorization):
 * area downscaling, bicubic resizing, Gaussian blur, noise and RGB → luma. Pairs are made per batch on the CPU,
 * so these are pure functions on Float32Array images: NHWC in [−1, 1], shapes passed explicitly, no tfjs.
 */
import type { Rng } from '../util/random.js';

/** Throws, naming the expected shape, when `pixels` does not hold exactly that many values. */
export function checkShape(where: string, pixels: Float32Array, shape: number[]): void {
  const size = shape.reduce((a, b) => a * b, 1);
  if (pixels.length !== size)
    throw new Error(`${where}: expected [${shape}] (${size} values), got ${pixels.length} values`);
}

/** Clamps to [−1, 1] in place (resampling overshoots near edges) and returns the same array. */
export function clampUnit(pixels: Float32Array): Float32Array {
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.min(1, Math.max(-1, pixels[i]));
  return pixels;
}

/** Mean of each factor×factor block, what an "area" resize does → [n, h/factor, w/factor, c]. */
export function areaDownscale(
  pixels: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  factor: number,
): Float32Array {
  checkShape('areaDownscale', pixels, [n, h, w, c]);
  if (!Number.isInteger(factor) || factor < 1 || h % factor !== 0 || w % factor !== 0) {
    throw new Error(`areaDownscale: expected h and w divisible by factor ${factor}, got [${n}, ${h}, ${w}, ${c}]`);
  }
  const oh = h / factor,
    ow = w / factor;
  const out = new Float32Array(n * oh * ow * c);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const src = ((i * h + y) * w + x) * c,
          dst = ((i * oh + Math.floor(y / factor)) * ow + Math.floor(x / factor)) * c;
        for (let ch = 0; ch < c; ch++) out[dst + ch] += pixels[src + ch];
      }
    }
  }
  const inv = 1 / (factor * factor);
  for (let i = 0; i < out.length; i++) out[i] *= inv;
  return out;
}

/** For each output position along one axis, `k` source indices and their weights. */
interface Taps {
  size: number;
  k: number;
  index: Int32Array;
  weight: Float64Array;
}

const clampIndex = (i: number, len: number) => Math.min(len - 1, Math.max(0, i));

/** Filters the middle axis of an [outer, len, inner] array with `taps` → [outer, taps.size, inner]. */
function filterAxis(x: Float32Array, outer: number, len: number, inner: number, taps: Taps): Float32Array {
  const { size, k, index, weight } = taps;
  const out = new Float32Array(outer * size * inner);
  for (let o = 0; o < outer; o++) {
    for (let p = 0; p < size; p++) {
      const dst = (o * size + p) * inner;
      for (let t = 0; t < k; t++) {
        const src = (o * len + index[p * k + t]) * inner,
          wt = weight[p * k + t];
        for (let i = 0; i < inner; i++) out[dst + i] += wt * x[src + i];
      }
    }
  }
  return out;
}

/** Rows then columns: separable filters cost k per axis instead of k² per pixel. */
function separable(x: Float32Array, n: number, h: number, w: number, c: number, rows: Taps, cols: Taps): Float32Array {
  return filterAxis(filterAxis(x, n, h, w * c, rows), n * rows.size, w, c, cols);
}

/** Keys' cubic convolution kernel with a = −0.5 (PIL, MATLAB): reproduces quadratics exactly. */
function keys(t: number): number {
  const a = -0.5,
    s = Math.abs(t);
  if (s <= 1) return ((a + 2) * s - (a + 3)) * s * s + 1;
  if (s < 2) return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
  return 0;
}

function bicubicTaps(inLen: number, outLen: number): Taps {
  const k = 4,
    index = new Int32Array(outLen * k),
    weight = new Float64Array(outLen * k);
  const scale = inLen / outLen;
  for (let p = 0; p < outLen; p++) {
    const src = (p + 0.5) * scale - 0.5,
      base = Math.floor(src) - 1;
    for (let t = 0; t < k; t++) {
      index[p * k + t] = clampIndex(base + t, inLen);
      weight[p * k + t] = keys(src - (base + t));
    }
  }
  return { size: outLen, k, index, weight };
}

/**
 * Separable bicubic resize with pixel-centre alignment (src = (dst + 0.5)·scale − 0.5) and clamped edges.
 * Four fixed taps, no antialiasing: right for upscaling (our use), aliased when shrinking a lot. The output
 * can overshoot [−1, 1] at sharp edges; pass it through `clampUnit` when it must stay in range.
 */
export function bicubicResize(
  pixels: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  outH: number,
  outW: number,
): Float32Array {
  checkShape('bicubicResize', pixels, [n, h, w, c]);
  return separable(pixels, n, h, w, c, bicubicTaps(h, outH), bicubicTaps(w, outW));
}

function gaussianTaps(len: number, sigma: number): Taps {
  const r = Math.ceil(3 * sigma),
    k = 2 * r + 1;
  const kernel = Array.from({ length: k }, (_, t) => Math.exp(-((t - r) ** 2) / (2 * sigma * sigma)));
  const total = kernel.reduce((a, b) => a + b, 0);
  const index = new Int32Array(len * k),
    weight = new Float64Array(len * k);
  for (let p = 0; p < len; p++) {
    for (let t = 0; t < k; t++) {
      index[p * k + t] = clampIndex(p - r + t, len);
      weight[p * k + t] = kernel[t] / total;
    }
  }
  return { size: len, k, index, weight };
}

/** Separable Gaussian blur (kernel radius ⌈3σ⌉, clamped edges); σ = 0 returns a copy. */
export function gaussianBlur(
  pixels: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  sigma: number,
): Float32Array {
  checkShape('gaussianBlur', pixels, [n, h, w, c]);
  if (sigma <= 0) return pixels.slice();
  return separable(pixels, n, h, w, c, gaussianTaps(h, sigma), gaussianTaps(w, sigma));
}

/** A copy with σ·N(0, 1) added to every value (input untouched, so one batch can feed several tasks). */
export function addNoise(pixels: Float32Array, sigma: number, rng: Rng): Float32Array {
  const out = pixels.slice();
  if (sigma > 0) for (let i = 0; i < out.length; i++) out[i] += sigma * rng.normal();
  return out;
}

/** RGB → one channel with Rec. 601 weights; they sum to 1, so [−1, 1] maps to [−1, 1] with no offset. */
export function luma(pixels: Float32Array, n: number, h: number, w: number): Float32Array {
  checkShape('luma', pixels, [n, h, w, 3]);
  const out = new Float32Array(n * h * w);
  for (let p = 0; p < out.length; p++)
    out[p] = 0.299 * pixels[3 * p] + 0.587 * pixels[3 * p + 1] + 0.114 * pixels[3 * p + 2];
  return out;
}

/** One channel → three equal ones: a gray image as RGB, the colorization baseline. */
export function grayToRgb(gray: Float32Array, n: number, h: number, w: number): Float32Array {
  checkShape('grayToRgb', gray, [n, h, w, 1]);
  const out = new Float32Array(gray.length * 3);
  for (let p = 0; p < gray.length; p++) out[3 * p] = out[3 * p + 1] = out[3 * p + 2] = gray[p];
  return out;
}

export interface SuperresOptions {
  /** Downscale factor; h and w must be divisible by it. */
  factor: number;
  /** σ in pixels of a Gaussian blur before downscaling (0 = none). */
  blur?: number;
  /** σ of Gaussian noise added to the small image (0 = none; needs an Rng). */
  noise?: number;
}

/**
 * The generator input for ×factor super-resolution: optional blur, area downscale, optional noise, then bicubic
 * back up to h×w so G's input and output have one size, clamped to [−1, 1].
 */
export function superresInput(
  pixels: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  options: SuperresOptions,
  rng?: Rng,
): Float32Array {
  const { factor, blur = 0, noise = 0 } = options;
  let small = areaDownscale(gaussianBlur(pixels, n, h, w, c, blur), n, h, w, c, factor);
  if (noise > 0) {
    if (rng == null) throw new Error('superresInput: noise > 0 needs an Rng');
    small = addNoise(small, noise, rng);
  }
  return clampUnit(bicubicResize(small, n, h / factor, w / factor, c, h, w));
}

/**
 * The classic super-resolution baseline a model must beat: bicubic upscaling of the plain area-downscaled
 * image (superresInput without blur or noise). For a model trained on degraded inputs, superresInput itself
 * with the same options and seed is the fair baseline.
 */
export function bicubicBaseline(
  pixels: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  factor: number,
): Float32Array {
  return superresInput(pixels, n, h, w, c, { factor });
}
