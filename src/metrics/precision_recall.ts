/**
 * Improved precision and recall (Kynkäänniemi et al. 2019): each set's manifold is the union of balls around
 * its points reaching their k-th nearest neighbour (k = 3). Precision: share of generated points inside the
 * real manifold; recall: share of real points inside the generated one. Distances via tfjs matmuls in blocks.
 */
import * as tf from '@tensorflow/tfjs';

const BLOCK = 1024;

/** Squared distances from rows [start, end) of a to all rows of b, as a Float32Array (end−start)×nb. */
function distanceBlock(a: tf.Tensor2D, b: tf.Tensor2D, bNorms: tf.Tensor, start: number, end: number): Float32Array {
  const block = tf.tidy(() => {
    const rows = tf.slice(a, [start, 0], [end - start, -1]);
    const rowNorms = tf.sum(tf.square(rows), 1, true);
    const dot = tf.matMul(rows, b, false, true);
    return tf.relu(tf.add(tf.sub(rowNorms, tf.mul(dot, 2)), bNorms));
  });
  // Read outside tidy: tidy would walk a returned typed array element by element.
  const values = block.dataSync() as Float32Array;
  block.dispose();
  return values;
}

/** Squared distance from each point to its k-th nearest other point of the same set. */
function kthRadii(x: tf.Tensor2D, k: number): Float64Array {
  const n = x.shape[0];
  const radii = new Float64Array(n);
  const norms = tf.tidy(() => tf.reshape(tf.sum(tf.square(x), 1), [1, n]));
  const best = new Float64Array(k + 1);
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const d = distanceBlock(x, x, norms, start, end);
    for (let i = start; i < end; i++) {
      best.fill(Infinity);
      const row = (i - start) * n;
      for (let j = 0; j < n; j++) {
        const v = d[row + j];
        if (v < best[k]) {
          let p = k;
          while (p > 0 && best[p - 1] > v) {
            best[p] = best[p - 1];
            p--;
          }
          best[p] = v;
        }
      }
      radii[i] = best[k]; // best[0] is the point itself (distance 0)
    }
  }
  norms.dispose();
  return radii;
}

/** Share of points of `query` inside some ball of `manifold` (centres with squared radii). */
function coverage(query: tf.Tensor2D, manifold: tf.Tensor2D, radii: Float64Array): number {
  const n = query.shape[0],
    m = manifold.shape[0];
  const norms = tf.tidy(() => tf.reshape(tf.sum(tf.square(manifold), 1), [1, m]));
  let inside = 0;
  for (let start = 0; start < n; start += BLOCK) {
    const end = Math.min(n, start + BLOCK);
    const d = distanceBlock(query, manifold, norms, start, end);
    for (let i = 0; i < end - start; i++) {
      const row = i * m;
      for (let j = 0; j < m; j++)
        if (d[row + j] <= radii[j]) {
          inside++;
          break;
        }
    }
  }
  norms.dispose();
  return inside / n;
}

export function precisionRecall(
  real: Float32Array,
  nReal: number,
  fake: Float32Array,
  nFake: number,
  d: number,
  k = 3,
): { precision: number; recall: number } {
  const r = tf.tensor2d(real, [nReal, d]);
  const f = tf.tensor2d(fake, [nFake, d]);
  try {
    const precision = coverage(f, r, kthRadii(r, k));
    const recall = coverage(r, f, kthRadii(f, k));
    return { precision, recall };
  } finally {
    tf.dispose([r, f]);
  }
}
