/**
 * PSNR and SSIM against closed forms and against fixtures from scripts/make_ssim_fixtures.py, which restates
 * scikit-image's structural_similarity with numpy and scipy.ndimage.gaussian_filter.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { meanPsnr, meanSsim, PSNR_CAP_DB, psnr, ssim } from '../src/metrics/image_quality.js';
import { Rng } from '../src/util/random.js';
import { ROOT } from './helpers.js';

const FIXTURES = join(ROOT, 'test', 'fixtures', 'ssim');
interface SsimCase {
  name: string;
  dtype: 'uint8' | 'float32';
  count: number;
  height: number;
  width: number;
  channels: number;
  dataRange: number;
  psnr: number[];
  ssim: number[];
}
const fixtures = JSON.parse(readFileSync(join(FIXTURES, 'cases.json'), 'utf8')) as {
  generator: string;
  cases: SsimCase[];
};

function pixels(c: SsimCase, side: 'a' | 'b'): Uint8Array | Float32Array {
  const bytes = readFileSync(join(FIXTURES, `${c.name}_${side}.bin`));
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return c.dtype === 'uint8' ? new Uint8Array(buffer) : new Float32Array(buffer); // little-endian, as the script writes
}

const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

test('PSNR of a constant difference d is 20·log10(255/d), and Infinity for identical images', () => {
  const shape = { height: 8, width: 6, channels: 3 };
  const a = new Uint8Array(8 * 6 * 3).map((_, i) => (i * 37) % 200);
  for (const d of [1, 5, 50]) {
    const b = a.map((v) => v + d);
    assert.ok(Math.abs(psnr(a, b, shape) - 20 * Math.log10(255 / d)) < 1e-12, `d = ${d}`);
  }
  // Half the values off by 10, half equal: MSE = 50.
  const half = a.map((v, i) => (i % 2 ? v + 10 : v));
  assert.ok(Math.abs(psnr(a, half, shape) - 10 * Math.log10(255 ** 2 / 50)) < 1e-12);
  assert.equal(psnr(a, a, shape), Infinity);
  // The mean caps identical pairs: one pair at 20·log10(255/5), one identical.
  const two = new Uint8Array([...a, ...a]);
  const other = new Uint8Array([...a.map((v) => v + 5), ...a]);
  assert.ok(Math.abs(meanPsnr(two, other, shape) - (20 * Math.log10(255 / 5) + PSNR_CAP_DB) / 2) < 1e-12);
});

test('SSIM is 1 for identical images and the closed form for constant images', () => {
  const shape = { height: 16, width: 13, channels: 3 };
  const rng = new Rng(7);
  const noise = new Uint8Array(16 * 13 * 3).map(() => Math.floor(rng.uniform() * 256));
  assert.ok(Math.abs(ssim(noise, noise, shape) - 1) < 1e-12);
  // Constant images: variances and covariance vanish, so SSIM = (2μaμb + C1)/(μa² + μb² + C1) · C2/C2.
  const c1 = (0.01 * 255) ** 2;
  for (const [ma, mb] of [
    [100, 120],
    [0, 255],
    [30, 31],
  ]) {
    const expected = (2 * ma * mb + c1) / (ma * ma + mb * mb + c1);
    const got = ssim(new Uint8Array(noise.length).fill(ma), new Uint8Array(noise.length).fill(mb), shape);
    assert.ok(Math.abs(got - expected) < 1e-12, `μ ${ma}, ${mb}: ${got} vs ${expected}`);
  }
  // Float images on [−1, 1] scale C1 with their data range.
  const fc1 = (0.01 * 2) ** 2;
  const got = ssim(new Float32Array(noise.length).fill(0.5), new Float32Array(noise.length).fill(-0.25), {
    ...shape,
    dataRange: 2,
  });
  assert.ok(Math.abs(got - (2 * 0.5 * -0.25 + fc1) / (0.25 + 0.0625 + fc1)) < 1e-12);
});

test(`PSNR and SSIM match the scikit-image formula (${fixtures.generator})`, () => {
  for (const c of fixtures.cases) {
    const a = pixels(c, 'a');
    const b = pixels(c, 'b');
    const size = c.height * c.width * c.channels;
    assert.equal(a.length, c.count * size, `${c.name}: fixture size`);
    for (let i = 0; i < c.count; i++) {
      const [ai, bi] = [a.subarray(i * size, (i + 1) * size), b.subarray(i * size, (i + 1) * size)];
      const s = ssim(ai, bi, c);
      assert.ok(Math.abs(s - c.ssim[i]) <= 1e-6, `${c.name}[${i}]: SSIM ${s}, reference ${c.ssim[i]}`);
      const p = psnr(ai, bi, c);
      assert.ok(Math.abs(p - c.psnr[i]) <= 1e-9 * c.psnr[i], `${c.name}[${i}]: PSNR ${p}, reference ${c.psnr[i]}`);
    }
    assert.ok(Math.abs(meanSsim(a, b, c) - mean(c.ssim)) <= 1e-6, `${c.name}: mean SSIM`);
    assert.ok(Math.abs(meanPsnr(a, b, c) - mean(c.psnr)) <= 1e-9 * mean(c.psnr), `${c.name}: mean PSNR`);
  }
});

test('mismatched shapes, small images and float images without a data range are rejected', () => {
  const shape = { height: 12, width: 12, channels: 3 };
  const a = new Uint8Array(12 * 12 * 3);
  assert.throws(
    () => ssim(a, new Uint8Array(12 * 12), shape),
    /a is \[1, 12, 12, 3\], b is 144 values \(not a multiple of 12×12×3\)/,
  );
  assert.throws(() => meanPsnr(a, new Uint8Array(2 * a.length), shape), /a is \[1, 12, 12, 3\], b is \[2, 12, 12, 3\]/);
  assert.throws(() => psnr(new Uint8Array(2 * a.length), new Uint8Array(2 * a.length), shape), /a is \[2, 12, 12, 3\]/);
  assert.throws(
    () => ssim(new Uint8Array(10 * 10), new Uint8Array(10 * 10), { height: 10, width: 10, channels: 1 }),
    /at least 11×11/,
  );
  assert.throws(() => psnr(new Float32Array(a.length), new Float32Array(a.length), shape), /dataRange/);
});
