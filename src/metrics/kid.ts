/**
 * Kernel Inception Distance: the unbiased MMD² between two feature sets with the cubic polynomial kernel
 * k(x, y) = (x·y/d + 1)³, averaged over random subsets (mean and standard deviation reported).
 */
import { Rng } from '../util/random.js';

export interface KidResult {
  mean: number;
  std: number;
  subsets: number;
  subsetSize: number;
}

function kernelSum(x: Float32Array, xi: Int32Array, y: Float32Array, yi: Int32Array, d: number, sameSet: boolean): number {
  let total = 0;
  for (let a = 0; a < xi.length; a++) {
    const pa = xi[a] * d;
    for (let b = sameSet ? a + 1 : 0; b < yi.length; b++) {
      const pb = yi[b] * d;
      let dot = 0;
      for (let k = 0; k < d; k++) dot += x[pa + k] * y[pb + k];
      total += (dot / d + 1) ** 3;
    }
  }
  return total;
}

export function kernelInceptionDistance(real: Float32Array, nReal: number, fake: Float32Array, nFake: number, d: number,
  { subsets = 100, subsetSize = 1000, seed = 0 } = {}): KidResult {
  const m = Math.min(subsetSize, nReal, nFake);
  if (m < 2) throw new Error('KID needs at least 2 samples on each side');
  const rng = new Rng(seed);
  const values: number[] = [];
  for (let s = 0; s < subsets; s++) {
    const ri = rng.permutation(nReal).subarray(0, m);
    const fi = rng.permutation(nFake).subarray(0, m);
    const kxx = (2 * kernelSum(real, ri, real, ri, d, true)) / (m * (m - 1));
    const kyy = (2 * kernelSum(fake, fi, fake, fi, d, true)) / (m * (m - 1));
    const kxy = kernelSum(real, ri, fake, fi, d, false) / (m * m);
    values.push(kxx + kyy - 2 * kxy);
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std, subsets, subsetSize: m };
}
