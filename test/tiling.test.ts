import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type TileFn, tiledApply, tileStarts, tileWeights } from '../src/image2image/tiling.js';
import { Rng } from '../src/util/random.js';

const image = (h: number, w: number, c: number, seed = 1) => new Rng(seed).uniforms(h * w * c, -1, 1);

function assertClose(actual: Float32Array, expected: Float32Array, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  assert.ok(worst <= tol, `${what}: max error ${worst}`);
}

/** A fn that checks the shape it is given, as a real generator would, and records the batch sizes. */
function checked(
  tile: number,
  cIn: number,
  f: (tiles: Float32Array, count: number) => Float32Array,
  counts: number[] = [],
): TileFn {
  return (tiles, count) => {
    assert.equal(tiles.length, count * tile * tile * cIn);
    counts.push(count);
    return f(tiles, count);
  };
}

test('tile starts are spaced by tile − overlap, the last flush with the edge; border weights are 1', () => {
  assert.deepEqual(tileStarts(100, 32, 8), [0, 24, 48, 68]);
  assert.deepEqual(tileStarts(96, 32, 0), [0, 32, 64]);
  assert.deepEqual(tileStarts(32, 32, 16), [0]);
  assert.deepEqual(tileStarts(20, 32, 16), [0]);
  const starts = tileStarts(100, 32, 8),
    weights = tileWeights(starts, 32);
  // The image border is covered by one tile only: attenuating it there would darken the image's edge.
  assert.equal(weights[0][0], 1);
  assert.equal(weights[starts.length - 1][31], 1);
  assert.ok(weights[0][31] < 0.1 && weights[1][0] < 0.1, 'inner edges fade out');
  // Neighbours' ramps sum to 1 across their overlap (8 px regular, 12 px for the flush last tile).
  for (let k = 0; k < 8; k++) assert.ok(Math.abs(weights[0][24 + k] + weights[1][k] - 1) < 1e-6);
  for (let k = 0; k < 12; k++) assert.ok(Math.abs(weights[2][20 + k] + weights[3][k] - 1) < 1e-6);
  assert.ok(weights.every((row) => row.every((v) => v > 0 && v <= 1)));
});

test('the identity reproduces the image for sizes below, at and above the tile, with and without overlap', () => {
  const sizes: [number, number][] = [
    [20, 13],
    [32, 32],
    [64, 64],
    [100, 37],
    [37, 100],
    [33, 65],
  ];
  for (const [h, w] of sizes) {
    for (const overlap of [0, 16]) {
      const x = image(h, w, 3);
      const counts: number[] = [];
      const y = tiledApply(
        x,
        h,
        w,
        3,
        32,
        overlap,
        3,
        checked(32, 3, (t) => t.slice(), counts),
        7,
      );
      assertClose(y, x, 1e-6, `${h}×${w}, overlap ${overlap}`);
      // Chunks of at most 7 tiles, and every tile once.
      assert.ok(counts.every((n) => n >= 1 && n <= 7));
      const tiles = tileStarts(h, 32, overlap).length * tileStarts(w, 32, overlap).length;
      assert.equal(
        counts.reduce((a, b) => a + b, 0),
        tiles,
      );
    }
  }
});

test('a pixelwise fn gives the pixelwise result, also when it changes the channel count', () => {
  const h = 100,
    w = 37,
    x = image(h, w, 3, 2);
  const affine = (t: Float32Array) => t.map((v) => 2 * v - 0.3);
  assertClose(tiledApply(x, h, w, 3, 32, 16, 3, checked(32, 3, affine)), affine(x), 1e-6, 'x ↦ 2x − 0.3');
  // RGB → (luma-like sum, difference): channels must not be shuffled between pixels.
  const mix = (t: Float32Array) => {
    const out = new Float32Array((t.length / 3) * 2);
    for (let p = 0; p < t.length / 3; p++) {
      out[2 * p] = t[3 * p] + t[3 * p + 1] + t[3 * p + 2];
      out[2 * p + 1] = t[3 * p] - t[3 * p + 2];
    }
    return out;
  };
  for (const [hh, ww] of [
    [h, w],
    [20, 13],
  ]) {
    const xx = image(hh, ww, 3, 3);
    assertClose(
      tiledApply(xx, hh, ww, 3, 32, 16, 2, checked(32, 3, mix)),
      mix(xx),
      1e-5,
      `3 → 2 channels, ${hh}×${ww}`,
    );
  }
  // 1 channel in, 3 out.
  const gray = image(50, 70, 1, 4);
  const toRgb = (t: Float32Array) =>
    Float32Array.from({ length: t.length * 3 }, (_, i) => t[Math.floor(i / 3)] * (1 + (i % 3)));
  assertClose(tiledApply(gray, 50, 70, 1, 32, 8, 3, checked(32, 1, toRgb)), toRgb(gray), 1e-5, '1 → 3 channels');
});

/** Largest difference between horizontal or vertical neighbours of a one-channel image. */
function largestStep(y: Float32Array, h: number, w: number): number {
  let worst = 0;
  for (let i = 0; i < h; i++) {
    for (let j = 0; j < w; j++) {
      if (j + 1 < w) worst = Math.max(worst, Math.abs(y[i * w + j + 1] - y[i * w + j]));
      if (i + 1 < h) worst = Math.max(worst, Math.abs(y[(i + 1) * w + j] - y[i * w + j]));
    }
  }
  return worst;
}

test('tiles that disagree blend smoothly: no seam steps, borders keep their own tile, values stay in range', () => {
  // A generator's tiles never agree exactly: model that as each tile adding its own constant in [0, 1].
  // Hard seams would show steps as large as the constants differ (up to 1); with linear ramps over overlaps of
  // at least 8 px, a step can be at most 1/8 of the largest difference.
  const h = 100,
    w = 70,
    tile = 32,
    rng = new Rng(5);
  const perTile =
    (offsets: number[]): TileFn =>
    (tiles, count) => {
      const out = new Float32Array(tiles.length);
      for (let b = 0; b < count; b++) {
        const c = rng.uniform();
        offsets.push(c);
        out.fill(c, b * tile * tile, (b + 1) * tile * tile);
      }
      return out;
    };
  const zero = new Float32Array(h * w);
  const offsets: number[] = [];
  const smooth = tiledApply(zero, h, w, 1, tile, 8, 1, perTile(offsets));
  assert.ok(largestStep(smooth, h, w) <= 1 / 8 + 1e-6, `step ${largestStep(smooth, h, w)} with overlap 8`);
  // A blend stays within the tiles' values (weights are convex), and the image corners, covered by a single
  // tile each, carry exactly that tile's value: nothing fades towards the image border.
  assert.ok(smooth.every((v) => v >= Math.min(...offsets) - 1e-6 && v <= Math.max(...offsets) + 1e-6));
  const nx = tileStarts(w, tile, 8).length;
  assert.ok(Math.abs(smooth[0] - offsets[0]) < 1e-6);
  assert.ok(Math.abs(smooth[w - 1] - offsets[nx - 1]) < 1e-6);
  assert.ok(Math.abs(smooth[h * w - 1] - offsets[offsets.length - 1]) < 1e-6);
  // The same check sees real seams: without overlap, tiles meet edge to edge and the steps are the full jumps.
  const hard = tiledApply(new Float32Array(96 * 64), 96, 64, 1, tile, 0, 1, perTile([]));
  assert.ok(largestStep(hard, 96, 64) > 0.3, 'without overlap the seams are visible to this test');
});
