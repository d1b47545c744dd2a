/**
 * One training iteration of a GAN, as in the reference: one D step on a real batch and a fake batch, then
 * one G step on the same fake batch (same z, same G weights) through the updated D. With several D steps per
 * G step (WGAN's n_critic) the loop runs D-only steps (`updateG: false`) in between.
 */
import * as tf from '@tensorflow/tfjs';
import { classCrossEntropy } from '../losses.js';
import type { Network } from '../networks/network.js';
import { paired } from '../networks/parts.js';

export interface GanModels {
  generator: Network;
  discriminator: Network;
  gOptimizer: tf.Optimizer;
  dOptimizer: tf.Optimizer;
}

export interface GanLosses {
  discriminator: (realLogits: tf.Tensor, fakeLogits: tf.Tensor) => tf.Scalar;
  generator: (fakeLogits: tf.Tensor) => tf.Scalar;
}

/** What a step does beyond the reference's; every field is optional and off by default. */
export interface StepOptions {
  /** Labels of the real batch and of the z batch (conditional GANs). */
  realLabels?: tf.Tensor1D;
  fakeLabels?: tf.Tensor1D;
  /** false: a D step only (G makes the fake batch without a tape). */
  updateG?: boolean;
  /** D's view of every image it judges (augmentation, instance noise). */
  dInput?: (x: tf.Tensor4D) => tf.Tensor4D;
  /** A term added to G's loss with its own pass of G (path-length regularisation), or null on steps without one. */
  generatorPenalty?: () => tf.Scalar | null;
  /** A term added to D's loss (gradient penalty, R1), given a critic of plain images. */
  dPenalty?: (critic: (x: tf.Tensor4D) => tf.Tensor, real: tf.Tensor4D, fake: tf.Tensor4D) => tf.Scalar | null;
  /**
   * Image-to-image: the input image G maps from (the `z` of trainStep); D judges [condition, image] pairs, and
   * `dInput` and the penalties see the pairs.
   */
  condition?: tf.Tensor4D;
  /** A term added to G's loss given its output and the real batch (L1 to the truth, feature matching). */
  generatorTerm?: (fake: tf.Tensor4D, real: tf.Tensor4D, condition: tf.Tensor4D | undefined) => tf.Scalar;
  /** Sums a small tensor over the processes of a data-parallel run: BatchNorm then uses the global batch's moments. */
  reduce?: (t: tf.Tensor) => tf.Tensor;
  /** D outputs [N, 1 + K]: its class logits add ACGAN's cross-entropy to both losses. */
  acgan?: boolean;
  /** Sees D's real/fake logits of the real batch in each D step (ADA counts their signs); must not keep them. */
  observeReal?: (logits: tf.Tensor) => void;
  /**
   * Asked before each step: true runs its D update before G's pass instead of inside G's tape (same result, one more
   * G forward): for a memory-heavy penalty (lazy R1 at 64 px and up), whose second-order graph the tape would
   * otherwise hold together with G's.
   */
  dStepApart?: () => boolean;
  /** Runs after D's update (weight clipping) and after G's (EMA). */
  afterDStep?: () => void;
  afterGStep?: () => void;
}

export interface StepLosses {
  dLoss: number;
  /** NaN on a D-only step. */
  gLoss: number;
}

/** Penalty passes use batch statistics but leave BatchNorm's running statistics alone, and need second order. */
const PENALTY = { training: true, updateStats: false, secondOrder: true } as const;

/** D as penalties see it: one real/fake logit per image, batch statistics without updating any buffer. */
export function penaltyCritic(
  d: Network,
  labels: tf.Tensor1D | undefined,
  acgan: boolean,
  condition?: tf.Tensor4D,
): (x: tf.Tensor4D) => tf.Tensor {
  return (x) => split(d.apply(paired(x, condition), PENALTY, labels), acgan)[0];
}

/** The real/fake logit and, with ACGAN, the class logits. */
function split(logits: tf.Tensor, acgan: boolean): [tf.Tensor, tf.Tensor | null] {
  if (!acgan) return [logits, null];
  const k = logits.shape[1]! - 1;
  return [tf.slice(logits, [0, 0], [-1, 1]), tf.slice(logits, [0, 1], [-1, k])];
}

/**
 * G runs forward once, under the G step's tape; the D step happens inside that tape, as a nested gradient
 * over D's variables only, so the fake batch acts as a constant for D. The outer gradient reaches G's
 * variables only through D(fake) after D's update, exactly as in the reference loop.
 */
export function trainStep(
  models: GanModels,
  losses: GanLosses,
  real: tf.Tensor,
  z: tf.Tensor,
  options: StepOptions = {},
): StepLosses {
  const { generator: g, discriminator: d } = models;
  const o = options;
  const TRAIN = { training: true, reduce: o.reduce };
  const acgan = o.acgan ?? false;
  const dVars = [...d.store.params.values()];
  const gVars = [...g.store.params.values()];
  const judge = (x: tf.Tensor, labels?: tf.Tensor1D) => {
    const seen = paired(x, o.condition) as tf.Tensor4D;
    return split(d.apply(o.dInput ? o.dInput(seen) : seen, TRAIN, labels), acgan);
  };
  // A family's self-supervised task on real images (d.selfSupervised) adds its loss to D's, from the same pass.
  const judgeReal = (): [tf.Tensor, tf.Tensor | null, tf.Scalar | null] => {
    if (d.selfSupervised == null) return [...judge(real, o.realLabels), null];
    const seen = paired(real, o.condition) as tf.Tensor4D;
    const { logits, loss } = d.selfSupervised(o.dInput ? o.dInput(seen) : seen, TRAIN, o.realLabels);
    return [...split(logits, acgan), loss];
  };
  const dObjective = (fake: tf.Tensor) => (): tf.Scalar => {
    const [r, rc, selfSupervised] = judgeReal();
    o.observeReal?.(r);
    const [f, fc] = judge(fake, o.fakeLabels);
    let loss = losses.discriminator(r, f);
    if (selfSupervised != null) loss = tf.add(loss, selfSupervised) as tf.Scalar;
    if (rc != null && fc != null)
      loss = tf.add(
        loss,
        tf.add(classCrossEntropy(rc, o.realLabels!), classCrossEntropy(fc, o.fakeLabels!)),
      ) as tf.Scalar;
    const penalty = o.dPenalty?.(
      penaltyCritic(d, o.realLabels, acgan, o.condition),
      real as tf.Tensor4D,
      fake as tf.Tensor4D,
    );
    return penalty != null ? (tf.add(loss, penalty) as tf.Scalar) : loss;
  };

  const gLossOf = (fake: tf.Tensor): tf.Scalar => {
    const [f, fc] = judge(fake, o.fakeLabels);
    let loss = losses.generator(f);
    if (fc != null) loss = tf.add(loss, classCrossEntropy(fc, o.fakeLabels!));
    const penalty = o.generatorPenalty?.();
    if (penalty != null) loss = tf.add(loss, penalty);
    return o.generatorTerm
      ? tf.add(loss, o.generatorTerm(fake as tf.Tensor4D, real as tf.Tensor4D, o.condition))
      : loss;
  };

  let dLoss: tf.Scalar | null = null;
  let gLoss: tf.Scalar;
  const apart = o.updateG === false || (o.dStepApart?.() ?? false);
  if (apart) {
    // G's pass for D runs without a tape (and, before a G step, without touching G's buffers: the G step's own pass
    // repeats it exactly and updates them once).
    const fake = tf.tidy(() =>
      g.apply(z, o.updateG === false ? TRAIN : { ...TRAIN, updateStats: false }, o.fakeLabels),
    );
    dLoss = models.dOptimizer.minimize(dObjective(fake), true, dVars)!;
    o.afterDStep?.();
    fake.dispose();
    if (o.updateG === false) {
      const result = { dLoss: dLoss.dataSync()[0], gLoss: Number.NaN };
      dLoss.dispose();
      return result;
    }
    gLoss = models.gOptimizer.minimize(() => gLossOf(g.apply(z, TRAIN, o.fakeLabels)), true, gVars)!;
  } else {
    gLoss = models.gOptimizer.minimize(
      (): tf.Scalar => {
        const fake = g.apply(z, TRAIN, o.fakeLabels);
        dLoss = tf.keep(models.dOptimizer.minimize(dObjective(fake), true, dVars)!);
        o.afterDStep?.();
        return gLossOf(fake);
      },
      true,
      gVars,
    )!;
  }
  o.afterGStep?.();
  const result = { dLoss: dLoss!.dataSync()[0], gLoss: gLoss.dataSync()[0] };
  tf.dispose([dLoss!, gLoss]);
  return result;
}
