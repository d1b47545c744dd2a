/**
 * Mode coverage for labelled data: the classifier's predicted class histogram of generated images, the number
 * of classes holding more than 2% of them, and KL(generated ‖ real) of the predicted histograms.
 */
export interface ModeCoverage {
  covered: number;
  classes: number;
  kl: number;
  histogram: number[];
}

export function classHistogram(probs: Float32Array, n: number, classes: number): Float64Array {
  const h = new Float64Array(classes);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (probs[i * classes + c] > probs[i * classes + best]) best = c;
    h[best]++;
  }
  for (let c = 0; c < classes; c++) h[c] /= n;
  return h;
}

export function modeCoverage(
  fakeProbs: Float32Array,
  nFake: number,
  realProbs: Float32Array,
  nReal: number,
  classes: number,
): ModeCoverage {
  const fake = classHistogram(fakeProbs, nFake, classes);
  const real = classHistogram(realProbs, nReal, classes);
  const eps = 1e-6;
  let kl = 0;
  for (let c = 0; c < classes; c++) if (fake[c] > 0) kl += fake[c] * Math.log(fake[c] / Math.max(real[c], eps));
  return { covered: fake.filter((p) => p > 0.02).length, classes, kl, histogram: Array.from(fake) };
}
