/**
 * The reference DCGAN (the `dcgan` preset), shown for 28×28 images; for 32×32 and 64×64 the same layers
 * start from s = size/4 (8 or 16) instead of 7, and D's last feature map is 4×4 or 8×8.
 *
 * G: z → Dense 128·s·s → s×s×128 → BN → ReLU → ConvT 64 (k4 s2 p1) → BN → ReLU → ConvT C (k4 s2 p1) → tanh
 * D: Conv 32 (k3 s2 p1) → LReLU .2 → Conv 64 → BN → LReLU .2 → Conv 128 → BN → LReLU .2 → Flatten → Dense 1
 * D returns logits; the losses apply the sigmoid (numerically stable).
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';
import { BatchNorm, Conv2d, ConvTranspose2d, Dense, leakyRelu, ParamStore, type RunMode } from './layers.js';
import type { Network, NetworkSpec } from './network.js';

export function dcganGenerator(spec: NetworkSpec, seed: number): Network {
  checkSpec(spec);
  const store = new ParamStore(new Rng(seed));
  const s0 = spec.imageSize / 4;
  const dense = new Dense(store, 'dense', spec.latentDim, 128 * s0 * s0);
  const bn0 = new BatchNorm(store, 'bn0', 128);
  const up1 = new ConvTranspose2d(store, 'up1', 128, 64, 4, 2);
  const bn1 = new BatchNorm(store, 'bn1', 64);
  const up2 = new ConvTranspose2d(store, 'up2', 64, spec.channels, 4, 2);

  return {
    store,
    inputShape: [spec.latentDim],
    outputShape: [spec.imageSize, spec.imageSize, spec.channels],
    apply(z: tf.Tensor, mode: RunMode): tf.Tensor {
      return tf.tidy(() => {
        let h: tf.Tensor4D = tf.reshape(dense.apply(z as tf.Tensor2D), [-1, s0, s0, 128]);
        h = tf.relu(bn0.apply(h, mode));
        h = tf.relu(bn1.apply(up1.apply(h), mode));
        return tf.tanh(up2.apply(h));
      });
    },
    layers(): tf.LayersModel {
      const model = tf.sequential({ name: 'generator' });
      model.add(tf.layers.dense({ inputShape: [spec.latentDim], units: 128 * s0 * s0, name: 'dense' }));
      model.add(tf.layers.reshape({ targetShape: [s0, s0, 128] }));
      model.add(batchNormLayer('bn0', bn0));
      model.add(tf.layers.reLU());
      model.add(tf.layers.conv2dTranspose({ filters: 64, kernelSize: 4, strides: 2, padding: 'same', name: 'up1' }));
      model.add(batchNormLayer('bn1', bn1));
      model.add(tf.layers.reLU());
      model.add(tf.layers.conv2dTranspose({ filters: spec.channels, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh', name: 'up2' }));
      const weights: Record<string, tf.Tensor[]> = {
        dense: [dense.kernel, dense.bias],
        bn0: [bn0.gamma, bn0.beta, bn0.runningMean, bn0.runningVar],
        up1: [up1.kernel, up1.bias],
        bn1: [bn1.gamma, bn1.beta, bn1.runningMean, bn1.runningVar],
        up2: [up2.kernel, up2.bias],
      };
      for (const [name, values] of Object.entries(weights)) model.getLayer(name).setWeights(values);
      return model;
    },
  };
}

export function dcganDiscriminator(spec: NetworkSpec, seed: number): Network {
  checkSpec(spec);
  const store = new ParamStore(new Rng(seed));
  const conv1 = new Conv2d(store, 'conv1', spec.channels, 32, 3, 2, 1);
  const conv2 = new Conv2d(store, 'conv2', 32, 64, 3, 2, 1);
  const bn2 = new BatchNorm(store, 'bn2', 64);
  const conv3 = new Conv2d(store, 'conv3', 64, 128, 3, 2, 1);
  const bn3 = new BatchNorm(store, 'bn3', 128);
  // Three stride-2 3×3 convolutions with padding 1: 28 → 14 → 7 → 4, 32 → 16 → 8 → 4, 64 → 32 → 16 → 8.
  let last = spec.imageSize;
  for (let i = 0; i < 3; i++) last = Math.floor((last - 1) / 2) + 1;
  const out = new Dense(store, 'out', last * last * 128, 1);

  return {
    store,
    inputShape: [spec.imageSize, spec.imageSize, spec.channels],
    outputShape: [1],
    apply(x: tf.Tensor, mode: RunMode): tf.Tensor {
      return tf.tidy(() => {
        let h = leakyRelu(conv1.apply(x as tf.Tensor4D), 0.2);
        h = leakyRelu(bn2.apply(conv2.apply(h), mode), 0.2);
        h = leakyRelu(bn3.apply(conv3.apply(h), mode), 0.2);
        return out.apply(tf.reshape(h, [-1, last * last * 128]));
      });
    },
  };
}

function batchNormLayer(name: string, bn: BatchNorm): tf.layers.Layer {
  return tf.layers.batchNormalization({ name, axis: -1, epsilon: bn.epsilon, momentum: 1 - bn.momentum });
}

function checkSpec(spec: NetworkSpec): void {
  if (![28, 32, 64].includes(spec.imageSize)) throw new Error(`the dcgan architecture makes 28, 32 or 64 pixel images, not ${spec.imageSize}`);
  if (spec.channels !== 1 && spec.channels !== 3) throw new Error(`channels must be 1 or 3, got ${spec.channels}`);
}
