/**
 * GAN losses as pure functions of the discriminator's logits (before the sigmoid), so log-sigmoid is
 * computed stably: −log σ(x) = softplus(−x) and −log(1 − σ(x)) = softplus(x).
 */
import * as tf from '@tensorflow/tfjs';

/** L_D = −½·mean[log D(x) + log(1 − D(G(z)))] */
export function bceDiscriminatorLoss(realLogits: tf.Tensor, fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mul(0.5, tf.add(tf.mean(tf.softplus(tf.neg(realLogits))), tf.mean(tf.softplus(fakeLogits)))));
}

/** L_G = −mean log D(G(z)), the non-saturating generator loss. */
export function nonSaturatingGeneratorLoss(fakeLogits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.softplus(tf.neg(fakeLogits))));
}
