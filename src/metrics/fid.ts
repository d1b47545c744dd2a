/**
 * Fréchet distance between Gaussian fits of two feature sets:
 *   FID = |μ1 − μ2|² + tr Σ1 + tr Σ2 − 2·tr sqrt(Σ1·Σ2), all in float64.
 */
import { meanAndCovariance, traceSqrtProduct } from './linalg.js';

export interface GaussianStats {
  mean: Float64Array;
  cov: Float64Array;
  dim: number;
  count: number;
}

export function gaussianStats(features: Float32Array, count: number, dim: number): GaussianStats {
  return { ...meanAndCovariance(features, count, dim), dim, count };
}

/** Samples needed for a full-rank covariance estimate: more than the feature dimension. */
export function rankWarning(stats: GaussianStats, what: string): string | null {
  return stats.count <= stats.dim
    ? `${what}: ${stats.count} samples for ${stats.dim}-d features give a singular covariance; FID needs more than ${stats.dim} (and is only comparable at equal counts)`
    : null;
}

export function frechetDistance(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim) throw new Error(`feature sizes differ: ${a.dim} and ${b.dim}`);
  const d = a.dim;
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (a.mean[i] - b.mean[i]) ** 2;
  let traces = 0;
  for (let i = 0; i < d; i++) traces += a.cov[i * d + i] + b.cov[i * d + i];
  return meanTerm + traces - 2 * traceSqrtProduct(a.cov, b.cov, d);
}
