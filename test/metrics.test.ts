import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { useBackend } from '../src/backend/index.js';
import { frechetDistance, gaussianStats, rankWarning } from '../src/metrics/fid.js';
import { inceptionScore } from '../src/metrics/inception_score.js';
import { kernelInceptionDistance } from '../src/metrics/kid.js';
import { matMul64, symmetricEigen } from '../src/metrics/linalg.js';
import { modeCoverage } from '../src/metrics/modes.js';
import { precisionRecall } from '../src/metrics/precision_recall.js';
import { Rng } from '../src/util/random.js';
import { ROOT } from './helpers.js';

interface FidCase {
  d: number;
  n1: number;
  n2: number;
  a: number[];
  b: number[];
  mu1: number[];
  sigma1: number[];
  sigma2: number[];
  trace_sqrt: number;
  fid: number;
}
const fixtures = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'fid.json'), 'utf8')) as {
  generator: string;
  cases: FidCase[];
};

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-12);
}

test(`FID matches scipy.linalg.sqrtm reference values (${fixtures.generator}) to 1e-6`, () => {
  for (const c of fixtures.cases) {
    const a = gaussianStats(Float32Array.from(c.a), c.n1, c.d);
    const b = gaussianStats(Float32Array.from(c.b), c.n2, c.d);
    c.mu1.forEach((m, i) => assert.ok(relErr(a.mean[i], m) < 1e-9 || Math.abs(a.mean[i] - m) < 1e-12));
    c.sigma1.forEach((s, i) => assert.ok(Math.abs(a.cov[i] - s) <= 1e-9 * Math.max(1, Math.abs(s)), `Σ1[${i}]`));
    const fid = frechetDistance(a, b);
    assert.ok(relErr(fid, c.fid) <= 1e-6, `d=${c.d}: FID ${fid}, scipy ${c.fid}, relative error ${relErr(fid, c.fid)}`);
    // Symmetric in its arguments, and zero for identical inputs.
    assert.ok(relErr(frechetDistance(b, a), c.fid) <= 1e-6);
    let trace = 0;
    for (let i = 0; i < c.d; i++) trace += a.cov[i * c.d + i];
    assert.ok(Math.abs(frechetDistance(a, a)) <= 1e-9 * trace, `FID(a, a) = ${frechetDistance(a, a)}`);
  }
});

test('the symmetric eigen-decomposition reconstructs its matrix', () => {
  const d = 20;
  const rng = new Rng(4);
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) m[i * d + j] = m[j * d + i] = rng.normal();
  const { values, vectors } = symmetricEigen(m, d);
  for (let i = 1; i < d; i++) assert.ok(values[i] >= values[i - 1], 'ascending');
  const lambda = new Float64Array(d * d);
  for (let i = 0; i < d; i++) lambda[i * d + i] = values[i];
  const vt = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) vt[i * d + j] = vectors[j * d + i];
  const back = matMul64(matMul64(vectors, lambda, d), vt, d);
  back.forEach((v, i) => assert.ok(Math.abs(v - m[i]) < 1e-10, `entry ${i}`));
});

test('fewer samples than feature dimensions is flagged with the count needed', () => {
  const rng = new Rng(1);
  const few = gaussianStats(rng.normals(10 * 16), 10, 16);
  assert.match(
    rankWarning(few, 'generated')!,
    /generated: 10 samples for 16-d features give a singular covariance; FID needs more than 16/,
  );
  assert.equal(rankWarning(gaussianStats(rng.normals(40 * 16), 40, 16), 'real'), null);
  assert.ok(Number.isFinite(frechetDistance(few, gaussianStats(rng.normals(40 * 16), 40, 16))));
});

test('KID equals the unbiased MMD² of its definition, computed directly in float64', async () => {
  await useBackend('wasm');
  const rng = new Rng(5);
  const d = 6;
  const [nx, ny] = [1500, 1500];
  const x = rng.normals(nx * d);
  const y = Float32Array.from(rng.normals(ny * d), (v) => 0.8 * v + 0.3);
  const k = (a: Float32Array, i: number, b: Float32Array, j: number) => {
    let dot = 0;
    for (let c = 0; c < d; c++) dot += a[i * d + c] * b[j * d + c];
    return (dot / d + 1) ** 3;
  };
  let [xx, yy, xy] = [0, 0, 0];
  for (let i = 0; i < nx; i++) for (let j = 0; j < nx; j++) if (i !== j) xx += k(x, i, x, j);
  for (let i = 0; i < ny; i++) for (let j = 0; j < ny; j++) if (i !== j) yy += k(y, i, y, j);
  for (let i = 0; i < nx; i++) for (let j = 0; j < ny; j++) xy += k(x, i, y, j);
  const direct = xx / (nx * (nx - 1)) + yy / (ny * (ny - 1)) - (2 * xy) / (nx * ny);
  // Subsets as large as the sets: every subset is the whole set (kernel blocks of 1,024 rows and a remainder).
  const kid = kernelInceptionDistance(x, nx, y, ny, d, { subsets: 3, subsetSize: 2000 });
  assert.equal(kid.subsetSize, 1500);
  assert.ok(Math.abs(kid.mean - direct) < 1e-4 * Math.abs(direct), `KID ${kid.mean} vs direct ${direct}`);
  assert.ok(kid.std < 1e-4 * Math.abs(direct));
  // Subsets of 300: near the whole-set value, with a spread.
  const sub = kernelInceptionDistance(x, nx, y, ny, d, { subsets: 50, subsetSize: 300 });
  assert.ok(sub.std > 0 && Math.abs(sub.mean - direct) < 4 * sub.std, `subsets ${sub.mean} ± ${sub.std}`);
});

test('KID, Inception score, precision/recall and mode coverage behave as defined', async () => {
  await useBackend('wasm');
  const rng = new Rng(2);
  const d = 8;
  const x = rng.normals(600 * d);
  const y = rng.normals(600 * d);
  const shifted = Float32Array.from(rng.normals(600 * d), (v) => v + 1.5);
  const same = kernelInceptionDistance(x, 600, y, 600, d, { subsets: 20, subsetSize: 200 });
  const apart = kernelInceptionDistance(x, 600, shifted, 600, d, { subsets: 20, subsetSize: 200 });
  assert.ok(Math.abs(same.mean) < 3 * same.std + 0.01, `same distribution: KID ${same.mean} ± ${same.std}`);
  assert.ok(apart.mean > 10 * Math.abs(same.mean) && apart.mean > 0.1, `shifted: KID ${apart.mean}`);

  const classes = 4;
  const oneHot = new Float32Array(400 * classes).map((_, i) =>
    i % classes === Math.floor(i / classes) % classes ? 1 : 0,
  );
  assert.ok(
    Math.abs(inceptionScore(oneHot, 400, classes).mean - classes) < 1e-9,
    'confident and balanced: IS = classes',
  );
  assert.ok(
    Math.abs(inceptionScore(new Float32Array(400 * classes).fill(0.25), 400, classes).mean - 1) < 1e-9,
    'uniform: IS = 1',
  );

  const pr = precisionRecall(x, 600, y, 600, d);
  assert.ok(pr.precision > 0.8 && pr.recall > 0.8, `same distribution: ${JSON.stringify(pr)}`);
  const far = precisionRecall(
    x,
    600,
    Float32Array.from(y, (v) => v * 0.05 + 6),
    600,
    d,
  );
  assert.ok(far.precision < 0.05, `far away: precision ${far.precision}`);
  const collapsed = precisionRecall(
    x,
    600,
    Float32Array.from(y, (v) => v * 0.1),
    600,
    d,
  );
  assert.ok(collapsed.recall < 0.2 && collapsed.precision > 0.5, `collapsed to a point: ${JSON.stringify(collapsed)}`);

  const oneClass = new Float32Array(100 * classes).map((_, i) => (i % classes === 2 ? 1 : 0));
  const modes = modeCoverage(oneClass, 100, oneHot, 400, classes);
  assert.deepEqual([modes.covered, modes.histogram], [1, [0, 0, 1, 0]]);
  assert.ok(Math.abs(modes.kl - Math.log(4)) < 1e-9);
});
