/**
 * Applies a fixed-size image function (a pix2pix generator trained on 64×64 crops) to an image of any size:
 * overlapping tiles, batched calls, and a weighted blend so tile seams do not show. Images are HWC Float32Array.
 */
import { checkShape } from './degrade.js';

/** Tile function: [count, tile, tile, cIn] → [count, tile, tile, cOut]. */
export type TileFn = (tiles: Float32Array, count: number) => Float32Array;

/**
 * Tile starts along an axis of length `len`: every tile − overlap pixels, plus one flush with the far edge, so
 * every tile lies inside the image (the last overlap may be wider than `overlap`). A short axis gets one tile at 0.
 */
export function tileStarts(len: number, tile: number, overlap: number): number[] {
  if (len <= tile) return [0];
  const starts: number[] = [];
  for (let s = 0; s + tile < len; s += tile - overlap) starts.push(s);
  starts.push(len - tile);
  return starts;
}

/**
 * Blend weights along one axis, one row of `tile` values per start. Over each overlap with a neighbour the weight
 * ramps linearly, (k + 0.5)/width at k pixels from the tile's edge, so two neighbours' weights sum to 1 across
 * their overlap and the result slides from one tile to the next; edges on the image border stay at 1, since
 * no other tile covers them there. Weights are never 0, so every pixel's weight sum is positive.
 */
export function tileWeights(starts: number[], tile: number): Float32Array[] {
  return starts.map((s, i) => {
    const lead = i > 0 ? starts[i - 1] + tile - s : 0;
    const trail = i < starts.length - 1 ? s + tile - starts[i + 1] : 0;
    const weights = new Float32Array(tile);
    for (let k = 0; k < tile; k++) {
      const up = k < lead ? (k + 0.5) / lead : 1;
      const down = tile - 1 - k < trail ? (tile - 1 - k + 0.5) / trail : 1;
      weights[k] = Math.min(up, down);
    }
    return weights;
  });
}

/** One image for `tiledApplyMany`: [height, width, cIn] floats. */
export interface TiledImage {
  image: Float32Array;
  height: number;
  width: number;
}

/**
 * fn applied to `image` [h, w, cIn] in tile×tile windows with starts spaced tile − overlap apart (the last flush
 * with the bottom/right edge), `chunk` tiles per call; → [h, w, cOut]. An image smaller than the tile is padded
 * at its bottom/right by repeating edge pixels (no new colours for G to react to) and cropped back. Overlapping
 * outputs are blended with `tileWeights`, normalised by the weight sum, so a fn that ignores position (e.g. the
 * identity) comes out unchanged, border pixels included.
 */
export function tiledApply(
  image: Float32Array,
  h: number,
  w: number,
  cIn: number,
  tile: number,
  overlap: number,
  cOut: number,
  fn: TileFn,
  chunk = 32,
): Float32Array {
  return tiledApplyMany([{ image, height: h, width: w }], cIn, tile, overlap, cOut, fn, chunk)[0];
}

/**
 * `tiledApply` over several images at once: the tiles of all of them, in order, fill fn's calls of `chunk` tiles,
 * so many small images cost a few large calls instead of one small call each.
 */
export function tiledApplyMany(
  images: TiledImage[],
  cIn: number,
  tile: number,
  overlap: number,
  cOut: number,
  fn: TileFn,
  chunk = 32,
): Float32Array[] {
  if (!Number.isInteger(tile) || tile < 1 || !Number.isInteger(overlap) || overlap < 0 || overlap >= tile) {
    throw new Error(
      `tiledApply: expected integers tile ≥ 1 and 0 ≤ overlap < tile, got tile ${tile}, overlap ${overlap}`,
    );
  }
  const plans = images.map(({ image, height: h, width: w }) => {
    checkShape('tiledApply', image, [h, w, cIn]);
    const ys = tileStarts(h, tile, overlap),
      xs = tileStarts(w, tile, overlap);
    return {
      image,
      h,
      w,
      ys,
      xs,
      wy: tileWeights(ys, tile),
      wx: tileWeights(xs, tile),
      sum: new Float64Array(h * w * cOut),
      total: new Float64Array(h * w),
    };
  });
  const tiles = plans.flatMap((plan, k) => plan.ys.flatMap((_, i) => plan.xs.map((_, j) => [k, i, j])));
  const inSize = tile * tile * cIn,
    outSize = tile * tile * cOut;
  for (let first = 0; first < tiles.length; first += chunk) {
    const batch = tiles.slice(first, first + chunk),
      count = batch.length;
    const input = new Float32Array(count * inSize);
    batch.forEach(([k, i, j], b) => {
      const { image, h, w, ys, xs } = plans[k];
      for (let ty = 0; ty < tile; ty++) {
        for (let tx = 0; tx < tile; tx++) {
          // Clamping the source index is the edge-replication padding for images smaller than the tile.
          const y = Math.min(h - 1, ys[i] + ty),
            x = Math.min(w - 1, xs[j] + tx);
          input.set(image.subarray((y * w + x) * cIn, (y * w + x + 1) * cIn), b * inSize + (ty * tile + tx) * cIn);
        }
      }
    });
    const output = fn(input, count);
    checkShape('tiledApply: fn output', output, [count, tile, tile, cOut]);
    batch.forEach(([k, i, j], b) => {
      const { h, w, ys, xs, wy, wx, sum, total } = plans[k];
      for (let ty = 0; ty < tile && ys[i] + ty < h; ty++) {
        for (let tx = 0; tx < tile && xs[j] + tx < w; tx++) {
          const p = (ys[i] + ty) * w + xs[j] + tx,
            weight = wy[i][ty] * wx[j][tx];
          const src = b * outSize + (ty * tile + tx) * cOut;
          total[p] += weight;
          for (let c = 0; c < cOut; c++) sum[p * cOut + c] += weight * output[src + c];
        }
      }
    });
  }
  return plans.map(({ h, w, sum, total }) => {
    const out = new Float32Array(h * w * cOut);
    for (let i = 0; i < out.length; i++) out[i] = sum[i] / total[Math.floor(i / cOut)];
    return out;
  });
}
