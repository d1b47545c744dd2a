/**
 * The reference DCGAN (the `dcgan` preset), shown for 28×28 images; for 32×32 and 64×64 the same layers
 * start from s = size/4 (8 or 16) instead of 7, and D's last feature map is 4×4 or 8×8.
 *
 * G: z → Dense 128·s·s → s×s×128 → BN → ReLU → ConvT 64 (k4 s2 p1) → BN → ReLU → ConvT C (k4 s2 p1) → tanh
 * D: Conv 32 (k3 s2 p1) → LReLU .2 → Conv 64 → BN → LReLU .2 → Conv 128 → BN → LReLU .2 → Flatten → Dense 1
 *    (`--d-norm none`: the same without BN)
 * D returns logits; the losses apply the sigmoid (numerically stable).
 *
 * Options (NetworkSpec): init and spectral norm reach every dense and convolution (spectral norm of G's only with
 * 'both'); a conditional G has conditional BatchNorm; D's projection or ACGAN head sits on the flattened features;
 * minibatch std adds a channel before conv3; self-attention follows the layer whose output has the side asked for
 * (G: after bn0 or bn1, D: after conv1 or bn2).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';
import { SelfAttention } from './attention.js';
import {
  BatchNorm,
  Conv2d,
  ConvTranspose2d,
  checkLabels,
  Dense,
  leakyRelu,
  minibatchStd,
  ParamStore,
  type RunMode,
} from './layers.js';
import type { Family, Network, NetworkSpec } from './network.js';
import { checkFamilySpec, DiscriminatorHead, generatorNorm, isConditional, LabelInput, layerOptions } from './parts.js';

export function dcganGenerator(spec: NetworkSpec, seed: number): Network {
  checkSpec(spec);
  const store = new ParamStore(new Rng(seed));
  const options = layerOptions(spec, 'g');
  const conditional = isConditional(spec);
  const s0 = spec.imageSize / 4;
  const labelInput = conditional ? new LabelInput(store, spec) : null;
  const dense = new Dense(store, 'dense', spec.latentDim + (labelInput?.features ?? 0), 128 * s0 * s0, options);
  const bn0 = generatorNorm(store, 'bn0', 128, spec);
  const att0 = spec.attention === s0 ? new SelfAttention(store, 'attention', 128, options) : null;
  const up1 = new ConvTranspose2d(store, 'up1', 128, 64, 4, 2, options);
  const bn1 = generatorNorm(store, 'bn1', 64, spec);
  const att1 = spec.attention === 2 * s0 ? new SelfAttention(store, 'attention', 64, options) : null;
  const up2 = new ConvTranspose2d(store, 'up2', 64, spec.channels, 4, 2, options);

  const network: Network = {
    store,
    inputShape: [spec.latentDim],
    outputShape: [spec.imageSize, spec.imageSize, spec.channels],
    apply(z: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D): tf.Tensor {
      if (conditional) checkLabels(labels, z.shape[0], 'this generator');
      return tf.tidy(() => {
        const input = labelInput ? labelInput.apply(z as tf.Tensor2D, labels!, mode) : (z as tf.Tensor2D);
        let h: tf.Tensor4D = tf.reshape(dense.apply(input, mode), [-1, s0, s0, 128]);
        h = tf.relu(bn0.norm(h, mode, labels));
        if (att0) h = att0.apply(h, mode);
        h = tf.relu(bn1.norm(up1.apply(h, mode), mode, labels));
        if (att1) h = att1.apply(h, mode);
        return tf.tanh(up2.apply(h, mode));
      });
    },
  };
  if (conditional || options.spectralNorm || spec.attention !== 0) return network;
  // The plain generator has an equivalent layers model, for export.
  network.layers = (): tf.LayersModel => {
    const model = tf.sequential({ name: 'generator' });
    model.add(tf.layers.dense({ inputShape: [spec.latentDim], units: 128 * s0 * s0, name: 'dense' }));
    model.add(tf.layers.reshape({ targetShape: [s0, s0, 128] }));
    model.add(batchNormLayer('bn0', bn0.bn!));
    model.add(tf.layers.reLU());
    model.add(tf.layers.conv2dTranspose({ filters: 64, kernelSize: 4, strides: 2, padding: 'same', name: 'up1' }));
    model.add(batchNormLayer('bn1', bn1.bn!));
    model.add(tf.layers.reLU());
    model.add(
      tf.layers.conv2dTranspose({
        filters: spec.channels,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        activation: 'tanh',
        name: 'up2',
      }),
    );
    const weights: Record<string, tf.Tensor[]> = {
      dense: [dense.kernel, dense.bias],
      bn0: [bn0.bn!.gamma, bn0.bn!.beta, bn0.bn!.runningMean, bn0.bn!.runningVar],
      up1: [up1.kernel, up1.bias],
      bn1: [bn1.bn!.gamma, bn1.bn!.beta, bn1.bn!.runningMean, bn1.bn!.runningVar],
      up2: [up2.kernel, up2.bias],
    };
    for (const [name, values] of Object.entries(weights)) model.getLayer(name).setWeights(values);
    return model;
  };
  return network;
}

export function dcganDiscriminator(spec: NetworkSpec, seed: number): Network {
  checkSpec(spec);
  const store = new ParamStore(new Rng(seed));
  const options = layerOptions(spec, 'd');
  const conv1 = new Conv2d(store, 'conv1', spec.channels, 32, 3, 2, 1, options);
  const att1 = spec.attention === spec.imageSize / 2 ? new SelfAttention(store, 'attention', 32, options) : null;
  const conv2 = new Conv2d(store, 'conv2', 32, 64, 3, 2, 1, options);
  // BatchNorm couples the images of a batch: a gradient penalty then no longer constrains D image by image, and
  // augmented reals and fakes get each other's statistics; --d-norm none leaves it out.
  const batchNorm = (spec.dNorm ?? 'batch') === 'batch';
  const bn2 = batchNorm ? new BatchNorm(store, 'bn2', 64) : null;
  const att2 = spec.attention === spec.imageSize / 4 ? new SelfAttention(store, 'attention', 64, options) : null;
  const conv3 = new Conv2d(store, 'conv3', spec.minibatchStd ? 65 : 64, 128, 3, 2, 1, options);
  const bn3 = batchNorm ? new BatchNorm(store, 'bn3', 128) : null;
  // Three stride-2 3×3 convolutions with padding 1: 28 → 14 → 7 → 4, 32 → 16 → 8 → 4, 64 → 32 → 16 → 8.
  let last = spec.imageSize;
  for (let i = 0; i < 3; i++) last = Math.floor((last - 1) / 2) + 1;
  const head = new DiscriminatorHead(store, last * last * 128, spec);

  return {
    store,
    inputShape: [spec.imageSize, spec.imageSize, spec.channels],
    outputShape: head.outputShape,
    apply(x: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D): tf.Tensor {
      return tf.tidy(() => {
        let h = leakyRelu(conv1.apply(x as tf.Tensor4D, mode), 0.2);
        if (att1) h = att1.apply(h, mode);
        h = conv2.apply(h, mode);
        h = leakyRelu(bn2 ? bn2.apply(h, mode) : h, 0.2);
        if (att2) h = att2.apply(h, mode);
        if (spec.minibatchStd) h = minibatchStd(h);
        h = conv3.apply(h, mode);
        h = leakyRelu(bn3 ? bn3.apply(h, mode) : h, 0.2);
        return head.apply(tf.reshape(h, [-1, last * last * 128]), mode, labels);
      });
    },
  };
}

function batchNormLayer(name: string, bn: BatchNorm): tf.layers.Layer {
  return tf.layers.batchNormalization({ name, axis: -1, epsilon: bn.epsilon, momentum: 1 - bn.momentum });
}

/** The image sizes the reference layers make (the first feature map is a quarter of the side). */
const SIZES = [28, 32, 64];

function checkSpec(spec: NetworkSpec): void {
  checkFamilySpec(spec, 'dcgan', SIZES);
}

export const dcgan: Family = {
  summary: 'the reference DCGAN (dense + two transposed convolutions; D: three convolutions)',
  sizes: SIZES,
  input: 'latent',
  exportsLayers: true,
  generator: dcganGenerator,
  discriminator: dcganDiscriminator,
};
