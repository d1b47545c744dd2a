/**
 * What a style-based G (the stylegan family's `Network.style`) offers beyond images from z: w from seeds, the
 * style-mixing grid, walks in w and images from given ws. Node-free: `gantry sample`, `gantry mix`, `gantry
 * project` and the studio's playground all go through these, so a seed gives the same picture everywhere.
 */
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../errors.js';
import { toBytes } from '../util/pixels.js';
import { latentNoise } from './generate.js';
import type { Network, StyleControls } from './network.js';

/**
 * The named groups of `--layers`, by resolution level from the first (4² or 7²): coarse the first two (4²–8²),
 * middle the next two (16²–32²), fine the rest (64² and up), as StyleGAN names them.
 */
export const LAYER_GROUPS = { coarse: [0, 1], middle: [2, 3], fine: [4, Number.POSITIVE_INFINITY] } as const;

/** A run's style controls, or a one-line error for a G of another family. */
export function styleControls(generator: Network, architecture: string, what: string): StyleControls {
  if (generator.style == null)
    throw new UsageError(
      `${what} needs a stylegan run (gantry train --preset stylegan2); this run's architecture is ${architecture}`,
    );
  return generator.style;
}

/**
 * The w indices [first, last] a `--layers` value names: coarse / middle / fine (by the feature-map side each w
 * styles' level), or A-B (indices, inclusive; A alone for one).
 */
export function layerRange(style: StyleControls, spec: string): [number, number] {
  const group = LAYER_GROUPS[spec as keyof typeof LAYER_GROUPS];
  const last = style.numWs - 1;
  if (group != null) {
    const level = (side: number) => Math.round(Math.log2(side / style.wSides[0]));
    const inside = style.wSides.flatMap((side, i) => (level(side) >= group[0] && level(side) <= group[1] ? [i] : []));
    if (inside.length === 0)
      throw new UsageError(`--layers ${spec}: this ${style.wSides.at(-1)} px G has no such layers`);
    return [inside[0], inside[inside.length - 1]];
  }
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
  const a = m ? Number(m[1]) : Number.NaN;
  const b = m?.[2] != null ? Number(m[2]) : a;
  if (!Number.isInteger(a) || a > b || b > last)
    throw new UsageError(`--layers must be coarse, middle, fine or A-B with 0 ≤ A ≤ B ≤ ${last}, got '${spec}'`);
  return [a, b];
}

/** w [n, wDim] for seeds (one latent each, as `gantry sample --seed s --count 1` draws), truncated by ψ. */
export function seedWs(
  style: StyleControls,
  seeds: readonly number[],
  latentDim: number,
  truncation = 1,
  labels: Int32Array | null = null,
): tf.Tensor2D {
  return tf.tidy(() => {
    const z = new Float32Array(seeds.length * latentDim);
    seeds.forEach((s, i) => z.set(latentNoise(s, 1, latentDim), i * latentDim));
    const y = labels ? tf.tensor1d(labels, 'int32') : undefined;
    return style.mapping(tf.tensor2d(z, [seeds.length, latentDim]), y, truncation);
  });
}

/** ws [n, numWs, wDim]: each w for every layer. */
export function broadcastWs(style: StyleControls, w: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => tf.tile(tf.expandDims(w, 1), [1, style.numWs, 1]) as tf.Tensor3D);
}

/**
 * ws for a mixing cell: the row's w everywhere except layers [first, last], which take the column's (the
 * reference's style_mixing: `w = w_row; w[styles] = w_col[styles]`).
 */
export function mixWs(style: StyleControls, row: tf.Tensor2D, col: tf.Tensor2D, range: [number, number]): tf.Tensor3D {
  return tf.tidy(() => {
    const list = Array.from({ length: style.numWs }, (_, i) => (i >= range[0] && i <= range[1] ? col : row));
    return tf.stack(list, 1) as tf.Tensor3D;
  });
}

/** Images as bytes from ws [n, numWs, wDim] (constant noise), in chunks. */
export function synthesizeBytes(style: StyleControls, ws: tf.Tensor3D, chunk = 64): Uint8Array {
  const n = ws.shape[0];
  const parts: Uint8Array[] = [];
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    const images = tf.tidy(() => style.synthesis(tf.slice(ws, [start, 0, 0], [size, -1, -1])));
    parts.push(toBytes(images.dataSync() as Float32Array));
    images.dispose();
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * The style-mixing figure's images in reading order, (rows + 1) × (cols + 1): a blank corner, the column seeds'
 * images along the top, each row seed's image on the left of its row, and the mixed images inside.
 */
export function mixingImages(
  style: StyleControls,
  rows: tf.Tensor2D,
  cols: tf.Tensor2D,
  range: [number, number],
): Uint8Array {
  const ws = tf.tidy(() => {
    const [r, c] = [rows.shape[0], cols.shape[0]];
    const rowList = tf.unstack(rows) as tf.Tensor1D[];
    const colList = tf.unstack(cols) as tf.Tensor1D[];
    const all: tf.Tensor3D[] = [broadcastWs(style, cols)];
    for (let i = 0; i < r; i++) {
      const row = tf.tile(tf.expandDims(rowList[i], 0), [c, 1]) as tf.Tensor2D;
      all.push(broadcastWs(style, tf.expandDims(rowList[i], 0) as tf.Tensor2D));
      all.push(mixWs(style, row, tf.stack(colList) as tf.Tensor2D, range));
    }
    return tf.concat(all, 0) as tf.Tensor3D;
  });
  const images = synthesizeBytes(style, ws);
  ws.dispose();
  const [c] = [cols.shape[0]];
  const size = images.length / ws.shape[0];
  // Insert the blank corner before the top row.
  const out = new Uint8Array(images.length + size);
  out.set(images.subarray(0, c * size), size);
  out.set(images.subarray(c * size), (c + 1) * size);
  return out;
}

/**
 * A loop through the seeds' ws: `frames` frames from each to the next (linear in w, the last back to the first).
 * Returns ws [seeds · frames, numWs, wDim].
 */
export function walkWs(style: StyleControls, ws: tf.Tensor2D, frames: number): tf.Tensor3D {
  return tf.tidy(() => {
    const n = ws.shape[0];
    const list = tf.unstack(ws) as tf.Tensor1D[];
    const steps: tf.Tensor1D[] = [];
    for (let i = 0; i < n; i++) {
      const a = list[i];
      const b = list[(i + 1) % n];
      for (let f = 0; f < frames; f++) steps.push(tf.add(a, tf.mul(tf.sub(b, a), f / frames)) as tf.Tensor1D);
    }
    return broadcastWs(style, tf.stack(steps) as tf.Tensor2D);
  });
}

/** A w file as `gantry project` writes it (w.json): what `gantry sample --w` and the studio's playground read. */
export interface WFile {
  format: 'gantry-w';
  /** One w per synthesis layer (all equal for a projection). */
  ws: number[][];
  /** The noise maps found with it, one [h·w] per synthesis layer (absent: the constant maps). */
  noise?: number[][];
}

/** ws [numWs · wDim] and noise maps of a parsed w file for this G, or null when it does not fit. */
export function wFileValues(
  parsed: unknown,
  style: StyleControls,
): { ws: Float32Array; noise: Float32Array[] | null } | null {
  const f = parsed as Partial<WFile> | null;
  if (f?.format !== 'gantry-w' || !Array.isArray(f.ws) || f.ws.length !== style.numWs) return null;
  const flat = f.ws.flat();
  if (flat.length !== style.numWs * style.wDim || !flat.every(Number.isFinite)) return null;
  const shapes = style.noiseShapes;
  const noiseFits =
    Array.isArray(f.noise) &&
    f.noise.length === shapes.length &&
    f.noise.every((n, i) => Array.isArray(n) && n.length === shapes[i][0] * shapes[i][1] && n.every(Number.isFinite));
  return { ws: Float32Array.from(flat), noise: noiseFits ? f.noise!.map((n) => Float32Array.from(n)) : null };
}

/** The image of ws [numWs · wDim] (and noise maps, else the constant ones), as bytes. */
export function wImageBytes(style: StyleControls, ws: Float32Array, noise: Float32Array[] | null): Uint8Array {
  return tf.tidy(() => {
    const w = tf.tensor3d(ws, [1, style.numWs, style.wDim]);
    const maps = noise?.map((n, i) => tf.tensor4d(n, [1, style.noiseShapes[i][0], style.noiseShapes[i][1], 1]));
    return toBytes(style.synthesis(w, maps).dataSync() as Float32Array);
  });
}

/** Seeds as a comma list of numbers and ranges (1,5,9 or 1-4 or 1-3,7); a UsageError naming the flag otherwise. */
export function parseSeeds(flag: string, text: string): number[] {
  const seeds: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*(\d+)(?:\s*-\s*(\d+))?\s*$/.exec(part);
    const a = m ? Number(m[1]) : Number.NaN;
    const b = m?.[2] != null ? Number(m[2]) : a;
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a || b >= 2 ** 32 || b - a > 10000)
      throw new UsageError(`${flag} takes seeds like 1,2,3 or 1-4, got '${text}'`);
    for (let s = a; s <= b; s++) seeds.push(s);
  }
  return seeds;
}
