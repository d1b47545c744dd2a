/**
 * Float64 linear algebra for the metrics: mean and covariance of feature rows, and the eigen-decomposition of
 * a symmetric matrix (Householder reduction to tridiagonal form, then the implicit QL algorithm: the classic
 * EISPACK tred2/tql2 pair), which gives square roots of covariance matrices.
 */

/** Mean and unbiased covariance (divisor n − 1, as numpy.cov) of n rows of d features. */
export function meanAndCovariance(rows: Float32Array, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += rows[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const centered = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) centered[j] = rows[i * d + j] - mean[j];
    for (let a = 0; a < d; a++) {
      const ca = centered[a];
      if (ca === 0) continue;
      const row = a * d;
      for (let b = a; b < d; b++) cov[row + b] += ca * centered[b];
    }
  }
  const div = Math.max(n - 1, 1);
  for (let a = 0; a < d; a++) {
    for (let b = a; b < d; b++) {
      const v = cov[a * d + b] / div;
      cov[a * d + b] = v;
      cov[b * d + a] = v;
    }
  }
  return { mean, cov };
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns of `vectors`, row-major d×d) of a symmetric d×d matrix.
 */
export function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const V = Float64Array.from(matrix);
  const values = new Float64Array(d);
  const e = new Float64Array(d);
  tridiagonalize(V, values, e, d);
  diagonalize(V, values, e, d);
  return { values, vectors: V };
}

/** Householder reduction of V (symmetric) to tridiagonal form: diagonal in dd, sub-diagonal in e; V holds the transform. */
function tridiagonalize(V: Float64Array, dd: Float64Array, e: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) dd[j] = V[(n - 1) * n + j];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(dd[k]);
    if (scale === 0) {
      e[i] = dd[i - 1];
      for (let j = 0; j < i; j++) {
        dd[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
        V[j * n + i] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        dd[k] /= scale;
        h += dd[k] * dd[k];
      }
      let f = dd[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      dd[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = dd[j];
        V[j * n + i] = f;
        g = e[j] + V[j * n + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          g += V[k * n + j] * dd[k];
          e[k] += V[k * n + j] * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * dd[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * dd[j];
      for (let j = 0; j < i; j++) {
        f = dd[j];
        g = e[j];
        for (let k = j; k <= i - 1; k++) V[k * n + j] -= f * e[k] + g * dd[k];
        dd[j] = V[(i - 1) * n + j];
        V[i * n + j] = 0;
      }
    }
    dd[i] = h;
  }
  // Accumulate the transformations.
  for (let i = 0; i < n - 1; i++) {
    V[(n - 1) * n + i] = V[i * n + i];
    V[i * n + i] = 1;
    const h = dd[i + 1];
    if (h !== 0) {
      for (let k = 0; k <= i; k++) dd[k] = V[k * n + i + 1] / h;
      for (let j = 0; j <= i; j++) {
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[k * n + i + 1] * V[k * n + j];
        for (let k = 0; k <= i; k++) V[k * n + j] -= g * dd[k];
      }
    }
    for (let k = 0; k <= i; k++) V[k * n + i + 1] = 0;
  }
  for (let j = 0; j < n; j++) {
    dd[j] = V[(n - 1) * n + j];
    V[(n - 1) * n + j] = 0;
  }
  V[(n - 1) * n + n - 1] = 1;
  e[0] = 0;
}

/** Implicit QL iterations on the tridiagonal (dd, e), accumulating into V; sorts eigenpairs ascending. */
function diagonalize(V: Float64Array, dd: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(dd[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 60) throw new Error('symmetricEigen: no convergence');
        let g = dd[l];
        let p = (dd[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        dd[l] = e[l] / (p + r);
        dd[l + 1] = e[l] * (p + r);
        const dl1 = dd[l + 1];
        let h = g - dd[l];
        for (let i = l + 2; i < n; i++) dd[i] -= h;
        f += h;
        p = dd[m];
        let c = 1,
          c2 = c,
          c3 = c;
        const el1 = e[l + 1];
        let s = 0,
          s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * dd[i] - s * g;
          dd[i + 1] = h + s * (c * g + s * dd[i]);
          for (let k = 0; k < n; k++) {
            h = V[k * n + i + 1];
            V[k * n + i + 1] = s * V[k * n + i] + c * h;
            V[k * n + i] = c * V[k * n + i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        dd[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    dd[l] += f;
    e[l] = 0;
  }
  // Selection sort ascending, with the vectors.
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    let p = dd[i];
    for (let j = i + 1; j < n; j++)
      if (dd[j] < p) {
        k = j;
        p = dd[j];
      }
    if (k !== i) {
      dd[k] = dd[i];
      dd[i] = p;
      for (let j = 0; j < n; j++) {
        const t = V[j * n + i];
        V[j * n + i] = V[j * n + k];
        V[j * n + k] = t;
      }
    }
  }
}

/** C = A·B for d×d matrices. */
export function matMul64(A: Float64Array, B: Float64Array, d: number): Float64Array {
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const a = A[i * d + k];
      if (a === 0) continue;
      const bRow = k * d,
        cRow = i * d;
      for (let j = 0; j < d; j++) C[cRow + j] += a * B[bRow + j];
    }
  }
  return C;
}

/** The symmetric square root of a symmetric positive semi-definite matrix (negative eigenvalues clamped to 0). */
export function sqrtPsd(A: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(A, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(values[k], 0));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = vectors[i * d + k] * s;
      if (vik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += vik * vectors[j * d + k];
    }
  }
  return out;
}

/** tr(sqrt(Σ1·Σ2)) for symmetric PSD Σ1, Σ2, via the symmetric form sqrt(Σ1)·Σ2·sqrt(Σ1). */
export function traceSqrtProduct(sigma1: Float64Array, sigma2: Float64Array, d: number): number {
  const s1 = sqrtPsd(sigma1, d);
  const m = matMul64(matMul64(s1, sigma2, d), s1, d);
  // Symmetrise against rounding before the eigen-decomposition.
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++) {
      const v = (m[i * d + j] + m[j * d + i]) / 2;
      m[i * d + j] = v;
      m[j * d + i] = v;
    }
  const { values } = symmetricEigen(m, d);
  let trace = 0;
  for (const v of values) trace += Math.sqrt(Math.max(v, 0));
  return trace;
}
