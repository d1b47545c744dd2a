import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addNoise,
  areaDownscale,
  bicubicBaseline,
  bicubicResize,
  gaussianBlur,
  grayToRgb,
  luma,
  superresInput,
} from '../src/image2image/degrade.js';
import { applyMask, composite, MAX_MISSING, meanFill, randomMasks, withMaskChannel } from '../src/image2image/masks.js';
import { Rng } from '../src/util/random.js';

const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol;
const rmse = (a: Float32Array, b: Float32Array) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0) / a.length);

test('area downscale averages each block, per image and channel; it needs divisible sizes', () => {
  // Two 4×4 images, two channels: channel 0 = 0..15 row-major, channel 1 = its negative; image 1 adds 100.
  const x = new Float32Array(2 * 16 * 2);
  for (let i = 0; i < 2; i++)
    for (let p = 0; p < 16; p++) [x[(i * 16 + p) * 2], x[(i * 16 + p) * 2 + 1]] = [p + 100 * i, -p];
  const y = areaDownscale(x, 2, 4, 4, 2, 2);
  // Top-left block holds 0, 1, 4, 5 → 2.5; the others 4.5, 10.5, 12.5.
  assert.deepEqual(
    [...y],
    [2.5, -2.5, 4.5, -4.5, 10.5, -10.5, 12.5, -12.5, 102.5, -2.5, 104.5, -4.5, 110.5, -10.5, 112.5, -12.5],
  );
  assert.deepEqual([...areaDownscale(x, 2, 4, 4, 2, 4)].slice(0, 2), [7.5, -7.5]);
  assert.throws(() => areaDownscale(new Float32Array(6 * 4), 1, 6, 4, 1, 4), /divisible/);
});

test('bicubic keeps constants, reproduces a linear ramp in the interior, and tolerates any size', () => {
  const constant = new Float32Array(2 * 5 * 7 * 3).fill(0.37);
  for (const [oh, ow] of [
    [20, 28],
    [3, 4],
    [5, 7],
  ])
    assert.ok(bicubicResize(constant, 2, 5, 7, 3, oh, ow).every((v) => close(v, 0.37)));
  // f(y, x) = 0.1 + 0.01x − 0.02y sampled at pixel centres; upscale ×4.
  const h = 16,
    w = 12,
    f = (y: number, x: number) => 0.1 + 0.01 * x - 0.02 * y;
  const ramp = Float32Array.from({ length: h * w }, (_, p) => f(Math.floor(p / w), p % w));
  const up = bicubicResize(ramp, 1, h, w, 1, 4 * h, 4 * w);
  let checked = 0;
  for (let y = 0; y < 4 * h; y++) {
    for (let x = 0; x < 4 * w; x++) {
      const sy = (y + 0.5) / 4 - 0.5,
        sx = (x + 0.5) / 4 - 0.5;
      // Interior: all four taps inside the image, so no edge clamping.
      if (Math.floor(sy) < 1 || Math.floor(sy) + 2 > h - 1 || Math.floor(sx) < 1 || Math.floor(sx) + 2 > w - 1)
        continue;
      assert.ok(close(up[y * 4 * w + x], f(sy, sx), 1e-5), `(${y}, ${x}): ${up[y * 4 * w + x]} vs ${f(sy, sx)}`);
      checked++;
    }
  }
  assert.ok(checked > 1000);
});

test('bicubic ×4 of an area ×4 downscale recovers a smooth image, better than nearest neighbour', () => {
  const n = 2,
    h = 64,
    w = 64,
    c = 3;
  const x = new Float32Array(n * h * w * c);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < h * w; p++) {
      const y = Math.floor(p / w),
        xx = p % w;
      for (let ch = 0; ch < c; ch++)
        x[(i * h * w + p) * c + ch] =
          0.8 * Math.sin((2 * Math.PI * (xx + 10 * ch + 7 * i)) / 64) * Math.cos((2 * Math.PI * y) / 48);
    }
  }
  const small = areaDownscale(x, n, h, w, c, 4);
  const bicubic = bicubicResize(small, n, 16, 16, c, h, w);
  const nearest = new Float32Array(x.length);
  for (let i = 0; i < n * h * w; i++) {
    const img = Math.floor(i / (h * w)),
      y = Math.floor((i % (h * w)) / w),
      xx = i % w;
    for (let ch = 0; ch < c; ch++)
      nearest[i * c + ch] = small[((img * 16 + Math.floor(y / 4)) * 16 + Math.floor(xx / 4)) * c + ch];
  }
  const eb = rmse(bicubic, x),
    en = rmse(nearest, x);
  assert.ok(eb < 0.03, `bicubic RMSE ${eb}`);
  assert.ok(eb < 0.5 * en, `bicubic ${eb} vs nearest ${en}`);
  // The baseline is exactly this, clamped, and superresInput without blur or noise is the baseline.
  const baseline = bicubicBaseline(x, n, h, w, c, 4);
  assert.ok(baseline.every((v, i) => v === Math.min(1, Math.max(-1, bicubic[i]))));
  assert.deepEqual(superresInput(x, n, h, w, c, { factor: 4 }), baseline);
});

test('superres inputs with blur and noise stay in range, are seeded, and need an Rng for noise', () => {
  const x = new Rng(1).uniforms(2 * 32 * 32 * 3, -1, 1);
  const options = { factor: 2, blur: 1, noise: 0.2 };
  const a = superresInput(x, 2, 32, 32, 3, options, new Rng(9));
  assert.equal(a.length, x.length);
  assert.ok(a.every((v) => v >= -1 && v <= 1));
  assert.deepEqual(superresInput(x, 2, 32, 32, 3, options, new Rng(9)), a);
  assert.notDeepEqual(superresInput(x, 2, 32, 32, 3, options, new Rng(10)), a);
  assert.throws(() => superresInput(x, 2, 32, 32, 3, options), /Rng/);
});

test('blur keeps constants and copies at σ = 0; noise returns a seeded copy with the right σ', () => {
  const x = new Rng(2).uniforms(3 * 8 * 8 * 2, -1, 1);
  const copy = gaussianBlur(x, 3, 8, 8, 2, 0);
  assert.deepEqual(copy, x);
  assert.notEqual(copy, x);
  assert.ok(gaussianBlur(new Float32Array(8 * 8).fill(-0.4), 1, 8, 8, 1, 1.5).every((v) => close(v, -0.4)));
  assert.ok(rmse(gaussianBlur(x, 3, 8, 8, 2, 1), x) > 0.1, 'σ = 1 smooths uniform noise');
  const before = x.slice(),
    big = new Float32Array(20000);
  const noisy = addNoise(x, 0.3, new Rng(3));
  assert.deepEqual(x, before, 'input untouched');
  assert.deepEqual(addNoise(x, 0.3, new Rng(3)), noisy);
  const sigma = rmse(addNoise(big, 0.3, new Rng(4)), big);
  assert.ok(Math.abs(sigma - 0.3) < 0.01, `σ ${sigma}`);
});

test('luma uses Rec. 601 weights; grayToRgb replicates the channel', () => {
  const rgb = new Float32Array([1, -1, -1, -1, 1, -1, -1, -1, 1, 0.5, 0.5, 0.5]);
  const y = luma(rgb, 1, 2, 2);
  [0.299 - 0.587 - 0.114, -0.299 + 0.587 - 0.114, -0.299 - 0.587 + 0.114, 0.5].forEach((v, i) =>
    assert.ok(close(y[i], v), `${y[i]} vs ${v}`),
  );
  assert.deepEqual([...grayToRgb(new Float32Array([0.25, -1]), 1, 1, 2)], [0.25, 0.25, 0.25, -1, -1, -1]);
  assert.throws(() => luma(new Float32Array(8), 1, 2, 2), /\[1,2,2,3\]/);
});

test('masks: rects are one rectangle of 1/4..1/2 sides, strokes are capped, every mask has a hole; seeded', () => {
  const n = 40,
    h = 64,
    w = 64;
  const rects = randomMasks(n, h, w, new Rng(1), 'rect');
  for (let i = 0; i < n; i++) {
    const m = rects.subarray(i * h * w, (i + 1) * h * w);
    let [y0, y1, x0, x1, count] = [h, -1, w, -1, 0];
    m.forEach((v, p) => {
      if (v === 0) return;
      assert.equal(v, 1);
      const y = Math.floor(p / w),
        x = p % w;
      [y0, y1, x0, x1, count] = [Math.min(y0, y), Math.max(y1, y), Math.min(x0, x), Math.max(x1, x), count + 1];
    });
    const [mh, mw] = [y1 - y0 + 1, x1 - x0 + 1];
    assert.equal(count, mh * mw, 'the missing pixels fill their bounding box');
    assert.ok(mh >= 16 && mh <= 32 && mw >= 16 && mw <= 32, `rect ${mh}×${mw}`);
  }
  for (const kind of ['stroke', 'mixed'] as const) {
    const masks = randomMasks(n, h, w, new Rng(2), kind);
    assert.ok(masks.every((v) => v === 0 || v === 1));
    const fractions = Array.from(
      { length: n },
      (_, i) => masks.subarray(i * h * w, (i + 1) * h * w).reduce((s, v) => s + v, 0) / (h * w),
    );
    assert.ok(
      fractions.every((f) => f > 0 && f <= MAX_MISSING),
      `${kind}: fractions ${fractions.map((f) => f.toFixed(2))}`,
    );
    assert.ok(new Set(fractions).size > n / 2, `${kind}: masks vary`);
  }
  assert.deepEqual(randomMasks(8, h, w, new Rng(3)), randomMasks(8, h, w, new Rng(3)));
  assert.notDeepEqual(randomMasks(8, h, w, new Rng(3)), randomMasks(8, h, w, new Rng(4)));
  // Tiny images still get a hole.
  const tiny = randomMasks(20, 4, 4, new Rng(5), 'stroke');
  for (let i = 0; i < 20; i++) assert.ok(tiny.subarray(i * 16, (i + 1) * 16).some((v) => v === 1));
});

test('applyMask, mask channel, meanFill and composite touch exactly the missing pixels', () => {
  const n = 2,
    h = 6,
    w = 5,
    c = 3;
  const x = new Rng(6).uniforms(n * h * w * c, -1, 1),
    g = new Rng(7).uniforms(x.length, -1, 1);
  const masks = randomMasks(n, h, w, new Rng(8), 'rect');
  const masked = applyMask(x, masks, n, h, w, c, -0.5);
  const input = withMaskChannel(masked, masks, n, h, w, c);
  const filled = meanFill(x, masks, n, h, w, c),
    out = composite(g, x, masks, n, h, w, c);
  for (let i = 0; i < n; i++) {
    const mean = [0, 0, 0];
    let known = 0;
    for (let p = i * h * w; p < (i + 1) * h * w; p++)
      if (masks[p] === 0) {
        known++;
        for (let ch = 0; ch < c; ch++) mean[ch] += x[p * c + ch];
      }
    for (let p = i * h * w; p < (i + 1) * h * w; p++) {
      const hole = masks[p] === 1;
      assert.equal(input[p * (c + 1) + c], masks[p]);
      for (let ch = 0; ch < c; ch++) {
        const q = p * c + ch;
        assert.equal(masked[q], hole ? -0.5 : x[q]);
        assert.equal(input[p * (c + 1) + ch], masked[q]);
        if (hole) assert.ok(close(filled[q], mean[ch] / known, 1e-5));
        else assert.equal(filled[q], x[q]);
        assert.equal(out[q], hole ? g[q] : x[q]);
      }
    }
  }
});
