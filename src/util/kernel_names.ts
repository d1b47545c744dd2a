/**
 * The names of gantry's own kernels, which the native backend registers (backend/dnnl_kernels.ts) and the layers and
 * the optimiser run where they are registered. Kept free of imports: the networks import it, and they also run in
 * the browser.
 */

/**
 * gantry's fused Adam update (inputs p, m, v, g; attrs.scalars; outputs p, m, v), registered on the wasm backend
 * where the oneDNN addon is loaded; src/train/adam.ts runs it where it is registered, and tfjs's ops elsewhere.
 */
export const ADAM_KERNEL = 'GantryAdam';
/**
 * BatchNorm's training forward (inputs x [rows, c], gamma, beta; attrs.epsilon; outputs y, xhat, mean, variance,
 * invStd) and backward (inputs dy, xhat, gamma, invStd; outputs dx, dGamma, dBeta) in a few native passes, registered
 * beside Adam's; src/networks/layers.ts runs them where they are registered, and tfjs's ops elsewhere.
 */
export const BATCH_NORM_KERNEL = 'GantryBatchNorm';
export const BATCH_NORM_GRAD_KERNEL = 'GantryBatchNormGrad';
/**
 * LeakyReLU (input x; attrs.alpha; output y) and its derivative (input x; attrs.alpha; output 1, α or 0 per element) in
 * one native pass each, the same floats as src/networks/layers.ts's relu(x) − α·relu(−x) and its gradient; their
 * gradients are registered with them (the derivative's is zero), so penalties can differentiate twice.
 */
export const LEAKY_RELU_KERNEL = 'GantryLeakyRelu';
export const LEAKY_RELU_SLOPE_KERNEL = 'GantryLeakyReluSlope';
