/**
 * Gradient regularisers of D. Both differentiate D's output with respect to its input inside D's loss, so
 * training takes the gradient of a gradient: every layer of D must be twice differentiable (checked against
 * finite differences in test/penalties.test.ts). `critic` maps images to one logit per image.
 */
import * as tf from '@tensorflow/tfjs';

type Critic = (x: tf.Tensor4D) => tf.Tensor;

/** Per-image squared L2 norms of ∂ΣD/∂x. */
function inputGradientSquares(critic: Critic, x: tf.Tensor4D): tf.Tensor1D {
  const g = tf.grad((input: tf.Tensor) => tf.sum(critic(input as tf.Tensor4D)))(x);
  return tf.sum(tf.square(g), [1, 2, 3]) as tf.Tensor1D;
}

/**
 * WGAN-GP (Gulrajani et al. 2017): mean_i (‖∇D(x̂_i)‖₂ − 1)² on x̂ = ε·real + (1 − ε)·fake, with one ε ~ U(0, 1)
 * per image (`epsilons`, [N]); the caller multiplies by λ.
 */
export function gradientPenalty(
  critic: Critic,
  real: tf.Tensor4D,
  fake: tf.Tensor4D,
  epsilons: Float32Array,
): tf.Scalar {
  return tf.tidy(() => {
    const eps = tf.tensor4d(epsilons, [epsilons.length, 1, 1, 1]);
    const mixed = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake)) as tf.Tensor4D;
    // The small constant keeps the norm's gradient finite where ∇D vanishes.
    const norms = tf.sqrt(tf.add(inputGradientSquares(critic, mixed), 1e-12));
    return tf.mean(tf.square(tf.sub(norms, 1)));
  });
}

/** R1 (Mescheder et al. 2018): mean_i ‖∇D(x_i)‖² on real images; the caller multiplies by γ/2. */
export function r1Penalty(critic: Critic, real: tf.Tensor4D): tf.Scalar {
  return tf.tidy(() => tf.mean(inputGradientSquares(critic, real)));
}
