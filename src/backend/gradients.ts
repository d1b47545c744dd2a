/**
 * Gradients that survive a second differentiation (gradient penalties differentiate ∂D/∂x again). tfjs saves a
 * kernel's OUTPUT for its gradient as a clone whose tape node is recorded before the kernel's own node; when
 * the gradient is differentiated again, backprop reaches that clone only after it has passed the kernel, and
 * the path through the output is silently dropped (a tanh network's second derivative came out 40% low, a
 * DCGAN D's gradient-penalty gradient 36× too small). The replacements below save the kernel's INPUT and
 * recompute the output in the gradient instead: the same first gradient, bit for bit, and a correct second.
 * Kernels whose gradient has no gradient at all (pooling, resize) are avoided by the networks instead.
 */
import * as tf from '@tensorflow/tfjs';

type GradFunc = tf.GradConfig['gradFunc'];

const REPLACEMENTS: Record<string, GradFunc> = {
  [tf.Exp]: (dy, [x]) => ({ x: () => tf.mul(dy as tf.Tensor, tf.exp(x)) }),
  [tf.Tanh]: (dy, [x]) => ({ x: () => tf.mul(tf.sub(tf.scalar(1), tf.square(tf.tanh(x))), dy as tf.Tensor) }),
  [tf.Sigmoid]: (dy, [x]) => ({
    x: () => {
      const y = tf.sigmoid(x);
      return tf.mul(dy as tf.Tensor, tf.mul(y, tf.sub(tf.scalar(1), y)));
    },
  }),
  [tf.Softmax]: (dy, [logits], attrs) => ({
    logits: () => {
      const y = tf.softmax(logits, (attrs as unknown as tf.SoftmaxAttrs).dim);
      const dyTimesY = tf.mul(dy as tf.Tensor, y);
      return tf.sub(dyTimesY, tf.mul(tf.sum(dyTimesY, [(attrs as unknown as tf.SoftmaxAttrs).dim], true), y));
    },
  }),
  // elu'(x) = 1 for x > 0, exp(x) = elu(x) + 1 below: 1 + min(elu(x), 0), written with relu (twice differentiable).
  [tf.Elu]: (dy, [x]) => ({
    x: () => {
      const e = tf.elu(x);
      return tf.mul(dy as tf.Tensor, tf.add(tf.scalar(1), tf.sub(e, tf.relu(e))));
    },
  }),
};

let installed = false;

/** Installs the replacements into tfjs's gradient registry (once; they hold for every backend). */
export function installSecondOrderGradients(): void {
  if (installed) return;
  for (const [name, gradFunc] of Object.entries(REPLACEMENTS)) {
    const config = tf.getGradient(name);
    if (config == null) throw new Error(`tfjs has no gradient registered for ${name}`);
    // The registry hands out its own object; re-registering would print a warning for each.
    Object.assign(config, {
      inputsToSave: [name === tf.Softmax ? 'logits' : 'x'],
      outputsToSave: [],
      saveAllInputs: false,
      gradFunc,
    });
  }
  installed = true;
}
