/** Inception-style score: exp(mean KL(p(y|x) ‖ p(y))) over `splits` splits of the class probabilities; mean and std. */
export function inceptionScore(
  probs: Float32Array,
  n: number,
  classes: number,
  splits = 10,
): { mean: number; std: number } {
  const scores: number[] = [];
  const parts = Math.min(splits, n);
  for (let s = 0; s < parts; s++) {
    const start = Math.floor((s * n) / parts);
    const end = Math.floor(((s + 1) * n) / parts);
    const marginal = new Float64Array(classes);
    for (let i = start; i < end; i++) for (let c = 0; c < classes; c++) marginal[c] += probs[i * classes + c];
    for (let c = 0; c < classes; c++) marginal[c] /= end - start;
    let kl = 0;
    for (let i = start; i < end; i++) {
      for (let c = 0; c < classes; c++) {
        const p = probs[i * classes + c];
        if (p > 0) kl += p * (Math.log(p) - Math.log(marginal[c]));
      }
    }
    scores.push(Math.exp(kl / (end - start)));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  return { mean, std: Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / scores.length) };
}
