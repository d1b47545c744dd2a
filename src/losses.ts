/**
 * GAN losses as pure functions of the discriminator's logits (before any sigmoid), so log-sigmoid is computed
 * stably: −log σ(x) = softplus(−x) and −log(1 − σ(x)) = softplus(x). Each loss is a pair: D's loss of the real
 * and fake logits, G's loss of the fake logits; `ganLoss(name)` picks one.
 */
import * as tf from '@tensorflow/tfjs';

export const LOSS_NAMES = ['bce', 'bce-saturating', 'lsgan', 'wgan', 'hinge'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

export interface GanLoss {
  discriminator: (realLogits: tf.Tensor, fakeLogits: tf.Tensor) => tf.Scalar;
  generator: (fakeLogits: tf.Tensor) => tf.Scalar;
}

/** L_D = −½·mean[t·log D(x) + (1−t)·log(1 − D(x)) + log(1 − D(G(z)))], t = 1 − smoothing (one-sided). */
export function bceDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const realTerm =
      smoothing === 0
        ? tf.softplus(tf.neg(realLogits))
        : tf.add(tf.mul(1 - smoothing, tf.softplus(tf.neg(realLogits))), tf.mul(smoothing, tf.softplus(realLogits)));
    return tf.mul(0.5, tf.add(tf.mean(realTerm), tf.mean(tf.softplus(fakeLogits))));
  });
}

/** L_G = −mean log D(G(z)), the non-saturating generator loss (the reference's). */
export function nonSaturatingGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(fakeLogits))));
}

/** L_G = mean log(1 − D(G(z))), the original minimax (saturating) generator loss. */
export function saturatingGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.softplus(fakeLogits))));
}

/** Least squares (Mao et al. 2017, targets 0/1): L_D = ½·mean[(D(x) − 1)² + D(G(z))²], L_G = ½·mean (D(G(z)) − 1)². */
export function lsDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(0.5, tf.add(tf.mean(tf.square(tf.sub(realLogits, 1))), tf.mean(tf.square(fakeLogits)))));
}

export function lsGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(0.5, tf.mean(tf.square(tf.sub(fakeLogits, 1)))));
}

/** Wasserstein critic: L_D = mean D(G(z)) − mean D(x), L_G = −mean D(G(z)). */
export function wassersteinDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sub(tf.mean(fakeLogits), tf.mean(realLogits)));
}

/** −mean D(G(z)): G's loss under the Wasserstein and the hinge losses. */
export function criticGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(fakeLogits)));
}

/** Hinge: L_D = mean relu(1 − D(x)) + mean relu(1 + D(G(z))). */
export function hingeDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.add(tf.mean(tf.relu(tf.sub(1, realLogits))), tf.mean(tf.relu(tf.add(1, fakeLogits)))));
}

/** The loss pair by name; one-sided label smoothing applies to the BCE losses only. */
export function ganLoss(name: LossName, labelSmoothing = 0): GanLoss {
  switch (name) {
    case 'bce':
      return {
        discriminator: (r, f) => bceDiscriminatorLoss(r, f, labelSmoothing),
        generator: nonSaturatingGeneratorLoss,
      };
    case 'bce-saturating':
      return {
        discriminator: (r, f) => bceDiscriminatorLoss(r, f, labelSmoothing),
        generator: saturatingGeneratorLoss,
      };
    case 'lsgan':
      return { discriminator: lsDiscriminatorLoss, generator: lsGeneratorLoss };
    case 'wgan':
      return { discriminator: wassersteinDiscriminatorLoss, generator: criticGeneratorLoss };
    case 'hinge':
      return { discriminator: hingeDiscriminatorLoss, generator: criticGeneratorLoss };
  }
}

/** ACGAN's auxiliary loss: cross-entropy of class logits [N, K] against int32 labels [N]. */
export function classCrossEntropy(classLogits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const k = classLogits.shape[classLogits.rank - 1];
    const logProbs = tf.logSoftmax(classLogits as tf.Tensor2D);
    return tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, k), logProbs), 1)));
  });
}
