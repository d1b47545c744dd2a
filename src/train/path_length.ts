/**
 * Path-length regularisation (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN", §3.2):
 * a fixed-size step in w should change the image by a fixed amount, whatever the direction and the w. For images
 * y = g(w) and a random image-space direction u (unit variance per pixel, scaled by 1/√(H·W)), the length
 * a = ‖Jᵀu‖ (J = ∂y/∂w, the ws of all layers, mean over layers) is pulled towards its running mean ā:
 * penalty = E[(a − ā)²], ā ← ā + 0.01·(E[a] − ā). Lazy, as the reference: every PL_EVERY-th G step, on half the batch,
 * scaled by PL_EVERY so its average strength stays the weight. Training then differentiates a gradient through the
 * synthesis network (tfjs: a gradient inside the G step's tape).
 */
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../networks/network.js';
import type { Rng } from '../util/random.js';

/** G steps between two path-length steps (the reference's 4). */
export const PL_EVERY = 4;
/** The running mean's rate, and the share of the batch the penalty's pass uses (the reference's). */
export const PL_DECAY = 0.01;
export const PL_BATCH_SHRINK = 2;

/** The running mean ā of the path lengths: in the run's checkpointed state. */
export interface PathLengthState {
  mean: number;
}

/**
 * E[(a − ā)²] on `n` fresh latents (and classes, for a conditional G), with fresh noise maps and directions from
 * `rng`; updates `state.mean` first (from the lengths of this pass, summed over the processes by `sum`), as the
 * reference does. G must be style-based.
 */
export function pathLengthPenalty(
  g: Network,
  n: number,
  latentDim: number,
  numClasses: number,
  rng: Rng,
  state: PathLengthState,
  sum?: (values: Float64Array) => void,
): tf.Scalar {
  const style = g.style;
  if (style == null) throw new Error('path-length regularisation needs a style-based generator');
  const [h, w, c] = g.outputShape;
  return tf.tidy(() => {
    const z = tf.tensor2d(rng.normals(n * latentDim), [n, latentDim]);
    const labels =
      numClasses > 0
        ? tf.tensor1d(
            Int32Array.from({ length: n }, () => rng.int(numClasses)),
            'int32',
          )
        : undefined;
    const noise = style.noiseShapes.map(([nh, nw]) => tf.tensor4d(rng.normals(n * nh * nw), [n, nh, nw, 1]));
    const direction = tf.div(tf.tensor4d(rng.normals(n * h * w * c), [n, h, w, c]), Math.sqrt(h * w));
    const ws = tf.tile(tf.expandDims(style.mapping(z, labels, 1), 1), [1, style.numWs, 1]) as tf.Tensor3D;
    const jtu = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(style.synthesis(x as tf.Tensor3D, noise), direction)))(ws);
    const lengths = tf.sqrt(tf.mean(tf.sum(tf.square(jtu), 2), 1));
    const totals = new Float64Array([tf.sum(lengths).dataSync()[0], n]);
    sum?.(totals);
    state.mean += PL_DECAY * (totals[0] / totals[1] - state.mean);
    return tf.mean(tf.square(tf.sub(lengths, state.mean))) as tf.Scalar;
  });
}
