/**
 * Inpainting masks and what is made from them: random holes (rectangles, and free-form brush strokes like the
 * masks of Yu et al. 2019, "DeepFill v2"), the masked generator input, the mean-colour baseline, and the final
 * composite. Masks are Float32Array [n, h, w, 1], 1 = missing and 0 = known, drawn from the run's seeded Rng so
 * pairs are reproducible. Images are NHWC in [−1, 1].
 */
import type { Rng } from '../util/random.js';
import { checkShape } from './degrade.js';

export type MaskKind = 'rect' | 'stroke' | 'mixed';

/** Stroke masks covering more than this fraction are redrawn: G needs some context to inpaint from. */
export const MAX_MISSING = 0.5;
/** Redraws of a too-large stroke mask before falling back to a rectangle (which never exceeds ~1/4). */
const STROKE_TRIES = 10;

const missing = (mask: Float32Array) => mask.reduce((s, v) => s + v, 0);

/** One rectangle, each side uniform in [1/4, 1/2] of the image side, anywhere inside the image. */
function drawRect(mask: Float32Array, h: number, w: number, rng: Rng): void {
  const side = (len: number) => Math.max(1, Math.round(len * (0.25 + 0.25 * rng.uniform())));
  const mh = side(h),
    mw = side(w);
  const y0 = rng.int(h - mh + 1),
    x0 = rng.int(w - mw + 1);
  for (let y = y0; y < y0 + mh; y++) mask.fill(1, y * w + x0, y * w + x0 + mw);
}

/** Marks the pixels whose centres lie within `r` of (cy, cx) (continuous coordinates, pixel i spans [i, i+1)). */
function disc(mask: Float32Array, h: number, w: number, cy: number, cx: number, r: number): void {
  for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(h, Math.ceil(cy + r) + 1); y++) {
    for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(w, Math.ceil(cx + r) + 1); x++) {
      if ((y + 0.5 - cy) ** 2 + (x + 0.5 - cx) ** 2 <= r * r) mask[y * w + x] = 1;
    }
  }
}

/** 1–4 strokes, each a random walk of 4–10 segments turning up to ±90° per vertex, drawn with a disc brush. */
function drawStrokes(mask: Float32Array, h: number, w: number, rng: Rng): void {
  const size = Math.min(h, w);
  const strokes = 1 + rng.int(4);
  for (let s = 0; s < strokes; s++) {
    // Radius h/16..h/8; at least 0.75 px so a disc always covers the pixel its centre is in.
    const r = Math.max(0.75, (size / 16) * (1 + rng.uniform()));
    let y = rng.uniform() * h,
      x = rng.uniform() * w,
      angle = rng.uniform() * 2 * Math.PI;
    disc(mask, h, w, y, x, r);
    const segments = 4 + rng.int(7);
    for (let g = 0; g < segments; g++) {
      angle += (rng.uniform() - 0.5) * Math.PI;
      const length = (size / 8) * (1 + rng.uniform());
      // The walk stays inside the image (clamped), so strokes do not waste their length off-canvas.
      const ny = Math.min(h, Math.max(0, y + length * Math.sin(angle)));
      const nx = Math.min(w, Math.max(0, x + length * Math.cos(angle)));
      // Discs every r/2 along the segment make a continuous stroke.
      const steps = Math.ceil(Math.hypot(ny - y, nx - x) / (r / 2));
      for (let t = 1; t <= steps; t++) disc(mask, h, w, y + ((ny - y) * t) / steps, x + ((nx - x) * t) / steps, r);
      y = ny;
      x = nx;
    }
  }
}

/**
 * n random masks [n, h, w, 1]. 'mixed' picks rect or stroke per image with p = 0.5. A stroke mask missing more
 * than MAX_MISSING of the image (or nothing) is redrawn; after STROKE_TRIES it becomes a rectangle instead, so
 * every mask has at least one and at most about half its pixels missing.
 */
export function randomMasks(n: number, h: number, w: number, rng: Rng, kind: MaskKind = 'mixed'): Float32Array {
  const out = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) {
    const mask = out.subarray(i * h * w, (i + 1) * h * w);
    const stroke = kind === 'stroke' || (kind === 'mixed' && rng.uniform() < 0.5);
    let ok = false;
    for (let t = 0; stroke && !ok && t < STROKE_TRIES; t++) {
      mask.fill(0);
      drawStrokes(mask, h, w, rng);
      const m = missing(mask);
      ok = m > 0 && m <= MAX_MISSING * h * w;
    }
    if (!ok) {
      mask.fill(0);
      drawRect(mask, h, w, rng);
    }
  }
  return out;
}

/** The generator input: missing pixels set to `fill` (default 0, mid gray), known ones copied. */
export function applyMask(
  pixels: Float32Array,
  masks: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
  fill = 0,
): Float32Array {
  checkShape('applyMask', pixels, [n, h, w, c]);
  checkShape('applyMask masks', masks, [n, h, w, 1]);
  const out = pixels.slice();
  for (let p = 0; p < masks.length; p++) if (masks[p] > 0.5) out.fill(fill, p * c, (p + 1) * c);
  return out;
}

/** [n, h, w, c] + mask → [n, h, w, c + 1], so G knows which pixels are holes and which are gray paint. */
export function withMaskChannel(
  masked: Float32Array,
  masks: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
): Float32Array {
  checkShape('withMaskChannel', masked, [n, h, w, c]);
  checkShape('withMaskChannel masks', masks, [n, h, w, 1]);
  const out = new Float32Array(n * h * w * (c + 1));
  for (let p = 0; p < masks.length; p++) {
    out.set(masked.subarray(p * c, (p + 1) * c), p * (c + 1));
    out[p * (c + 1) + c] = masks[p];
  }
  return out;
}

/** The inpainting baseline: each missing pixel gets the mean colour of its image's known pixels (0 if none). */
export function meanFill(
  pixels: Float32Array,
  masks: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
): Float32Array {
  checkShape('meanFill', pixels, [n, h, w, c]);
  checkShape('meanFill masks', masks, [n, h, w, 1]);
  const out = pixels.slice();
  const mean = new Float64Array(c);
  for (let i = 0; i < n; i++) {
    mean.fill(0);
    let known = 0;
    for (let p = i * h * w; p < (i + 1) * h * w; p++) {
      if (masks[p] > 0.5) continue;
      known++;
      for (let ch = 0; ch < c; ch++) mean[ch] += pixels[p * c + ch];
    }
    for (let ch = 0; ch < c; ch++) mean[ch] = known > 0 ? mean[ch] / known : 0;
    for (let p = i * h * w; p < (i + 1) * h * w; p++) {
      if (masks[p] > 0.5) for (let ch = 0; ch < c; ch++) out[p * c + ch] = mean[ch];
    }
  }
  return out;
}

/** What inpainting returns: known pixels exactly from `input`, missing ones from G's `output`. */
export function composite(
  output: Float32Array,
  input: Float32Array,
  masks: Float32Array,
  n: number,
  h: number,
  w: number,
  c: number,
): Float32Array {
  checkShape('composite output', output, [n, h, w, c]);
  checkShape('composite input', input, [n, h, w, c]);
  checkShape('composite masks', masks, [n, h, w, 1]);
  const out = input.slice();
  for (let p = 0; p < masks.length; p++) if (masks[p] > 0.5) out.set(output.subarray(p * c, (p + 1) * c), p * c);
  return out;
}
