/** Latent-space helpers of the playground: spherical interpolation and the main directions of G's first layer. */

/** Spherical interpolation between two latent vectors (linear where they are almost parallel). */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const cos = Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)));
  const omega = Math.acos(cos);
  const out = new Float32Array(a.length);
  if (Math.sin(omega) < 1e-6) {
    for (let i = 0; i < a.length; i++) out[i] = (1 - t) * a[i] + t * b[i];
    return out;
  }
  const wa = Math.sin((1 - t) * omega) / Math.sin(omega);
  const wb = Math.sin(t * omega) / Math.sin(omega);
  for (let i = 0; i < a.length; i++) out[i] = wa * a[i] + wb * b[i];
  return out;
}

/**
 * Eigenvalues and eigenvectors of a symmetric n×n matrix (row-major) by cyclic Jacobi rotations. Returns the
 * values in descending order and the vectors as rows of `vectors` (vector k at k·n).
 */
export function symmetricEigen(matrix: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let norm = 0;
  for (let i = 0; i < n * n; i++) norm += a[i] * a[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] * a[p * n + q];
    if (off <= 1e-24 * norm) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A ← Jᵀ A J on rows and columns p, q; V ← V J.
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p],
            akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k],
            aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p],
            vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  const values = Float64Array.from(order, (i) => a[i * n + i]);
  const vectors = new Float64Array(n * n);
  order.forEach((col, k) => {
    for (let r = 0; r < n; r++) vectors[k * n + r] = v[r * n + col];
  });
  return { values, vectors };
}

export interface LatentDirections {
  /** Unit vectors in z space, strongest first. */
  vectors: Float32Array[];
  /** Their eigenvalues of W_z·W_zᵀ (squared singular values of the first layer restricted to z). */
  values: number[];
  /** max over the returned k of ‖M v − λ v‖ / λ₁, and of |vᵢ·vⱼ − δᵢⱼ|: how good the decomposition is. */
  residual: number;
  orthogonality: number;
}

/**
 * The z directions G's first (dense) layer responds to most: the top right-singular vectors of its kernel's
 * z rows, i.e. the top eigenvectors of W_z·W_zᵀ. `kernel` is [rows, cols] row-major; only the first `latentDim`
 * rows take z (a conditional G appends its label embedding after them).
 */
export function latentDirections(kernel: Float32Array, cols: number, latentDim: number, k: number): LatentDirections {
  const n = latentDim;
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * cols;
    for (let j = i; j < n; j++) {
      const rj = j * cols;
      let s = 0;
      for (let c = 0; c < cols; c++) s += kernel[ri + c] * kernel[rj + c];
      m[i * n + j] = s;
      m[j * n + i] = s;
    }
  }
  const { values, vectors } = symmetricEigen(m, n);
  const top = Math.min(k, n);
  const out: Float32Array[] = [];
  let residual = 0,
    orthogonality = 0;
  for (let d = 0; d < top; d++) {
    const vec = vectors.subarray(d * n, (d + 1) * n);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += m[i * n + j] * vec[j];
      residual = Math.max(residual, Math.abs(s - values[d] * vec[i]) / Math.max(1e-30, values[0]));
    }
    for (let e = 0; e <= d; e++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += vec[i] * vectors[e * n + i];
      orthogonality = Math.max(orthogonality, Math.abs(s - (e === d ? 1 : 0)));
    }
    out.push(Float32Array.from(vec));
  }
  return { vectors: out, values: Array.from(values.subarray(0, top)), residual, orthogonality };
}
