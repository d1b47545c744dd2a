/**
 * The image-to-image family (`pix2pix`, Isola et al. 2017), sized for CPUs: a U-Net generator and a PatchGAN
 * discriminator. Both are conditioned on an input image of `spec.conditionChannels` channels (the low-resolution,
 * gray, masked or source image) instead of a latent vector.
 *
 * G (U-Net, widths 32 → 64 → 128 → 256 at most, down to a 4×4 bottleneck; 64×64: four levels):
 *   e1 = Conv4s2(x)                     e_i = BN(Conv4s2(LReLU .2(e_{i−1})))      innermost: no BN
 *   d_i = BN(ConvT4s2(ReLU([d_{i+1}, e_i])))                                     (the skip connections)
 *   out = clip(rgb(x) + tanh(ConvT4s2(ReLU([d_2, e_1]))), −1, 1)
 *   The output is a correction to the input's colour image (gray replicated, the masked image, the source), and
 *   the last layer starts at zero, so an untrained G is the task's baseline instead of noise. pix2pix's dropout
 *   noise is left out (the paper found G ignores it), so the same input gives the same output.
 * D (PatchGAN): Conv4s2(32) → LReLU → [Conv4s2 → BN → LReLU]… → Conv4s1 → BN → LReLU → Conv4s1(1), judging
 *   [condition, image] pairs. The number of stride-2 layers gives a receptive field of about 70/256 of the image
 *   side, the paper's 70×70 patches at 256×256 (16×16 patches at 64×64, 34×34 at 128×128).
 * Spectral norm reaches G's and D's convolutions as the spec asks; there are no class labels.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';
import { BatchNorm, Conv2d, ConvTranspose2d, leakyRelu, ParamStore, type RunMode } from './layers.js';
import type { Family, Network, NetworkSpec } from './network.js';
import { layerOptions } from './parts.js';

const BASE_WIDTH = 32;
const MAX_WIDTH = 256;
/** The bottleneck's side. */
const INNERMOST = 4;

/** The image sizes the U-Net can halve down to 4×4. */
export const PIX2PIX_SIZES = [16, 32, 64, 128, 256];

function checkSpec(spec: NetworkSpec): void {
  if (!PIX2PIX_SIZES.includes(spec.imageSize))
    throw new Error(`the pix2pix architecture takes ${PIX2PIX_SIZES.join(', ')} pixel images, not ${spec.imageSize}`);
  if ((spec.conditionChannels ?? 0) < 1) throw new Error('the pix2pix architecture needs an input image (a --task)');
  if (spec.numClasses > 0 || spec.attention !== 0)
    throw new Error('the pix2pix architecture has no class conditioning or attention');
}

const width = (level: number) => Math.min(MAX_WIDTH, BASE_WIDTH * 2 ** (level - 1));

/** The input's colour image: its first three channels, or its gray channel three times. */
export function colourOf(x: tf.Tensor4D, channels: number): tf.Tensor4D {
  const c = x.shape[3];
  if (c === 1 && channels === 3) return tf.tile(x, [1, 1, 1, 3]);
  return c === channels ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, channels]);
}

export function pix2pixGenerator(spec: NetworkSpec, seed: number): Network {
  checkSpec(spec);
  const store = new ParamStore(new Rng(seed));
  const options = layerOptions(spec, 'g');
  const inC = spec.conditionChannels!;
  const levels = Math.log2(spec.imageSize / INNERMOST);
  const down: Conv2d[] = [];
  const downNorm: (BatchNorm | null)[] = [];
  for (let i = 1; i <= levels; i++) {
    down.push(new Conv2d(store, `down${i}`, i === 1 ? inC : width(i - 1), width(i), 4, 2, 1, options));
    downNorm.push(i === 1 || i === levels ? null : new BatchNorm(store, `down${i}/bn`, width(i)));
  }
  const up: ConvTranspose2d[] = [];
  const upNorm: (BatchNorm | null)[] = [];
  for (let i = levels; i >= 1; i--) {
    const inWidth = i === levels ? width(i) : 2 * width(i);
    const outWidth = i === 1 ? spec.channels : width(i - 1);
    up.push(new ConvTranspose2d(store, `up${i}`, inWidth, outWidth, 4, 2, options));
    upNorm.push(i === 1 ? null : new BatchNorm(store, `up${i}/bn`, outWidth));
  }
  // The correction starts at zero (G = the baseline); the last layer's gradient is not zero, so learning starts at once.
  const last = up[up.length - 1];
  tf.tidy(() => [last.kernel, last.bias].forEach((v) => v.assign(tf.zerosLike(v))));

  return {
    store,
    inputShape: [spec.imageSize, spec.imageSize, inC],
    outputShape: [spec.imageSize, spec.imageSize, spec.channels],
    apply(x: tf.Tensor, mode: RunMode): tf.Tensor {
      return tf.tidy(() => {
        const skips: tf.Tensor4D[] = [];
        let h = x as tf.Tensor4D;
        down.forEach((conv, i) => {
          h = conv.apply(i === 0 ? h : leakyRelu(h, 0.2), mode);
          if (downNorm[i]) h = downNorm[i]!.apply(h, mode);
          skips.push(h);
        });
        up.forEach((conv, j) => {
          const input = j === 0 ? h : tf.concat([h, skips[levels - 1 - j]], 3);
          h = conv.apply(tf.relu(input), mode);
          if (upNorm[j]) h = upNorm[j]!.apply(h, mode);
        });
        return tf.clipByValue(tf.add(colourOf(x as tf.Tensor4D, spec.channels), tf.tanh(h)), -1, 1);
      });
    },
  };
}

/** Stride-2 layers whose receptive field is nearest 70/256 of the image side. */
export function patchStrides(imageSize: number): number {
  const target = (70 / 256) * imageSize;
  let best = 1;
  for (let s = 1; s <= 6; s++)
    if (Math.abs(patchReceptiveField(s) - target) < Math.abs(patchReceptiveField(best) - target)) best = s;
  return best;
}

/** The receptive field of `strides` k4s2 layers followed by two k4s1 layers. */
export function patchReceptiveField(strides: number): number {
  let r = 1;
  for (let i = 0; i < 2; i++) r += 3;
  for (let i = 0; i < strides; i++) r = (r - 1) * 2 + 4;
  return r;
}

export function pix2pixDiscriminator(spec: NetworkSpec, seed: number): Network {
  checkSpec(spec);
  const store = new ParamStore(new Rng(seed));
  const options = layerOptions(spec, 'd');
  const strides = patchStrides(spec.imageSize);
  const inC = spec.conditionChannels! + spec.channels;
  const convs: Conv2d[] = [];
  const norms: (BatchNorm | null)[] = [];
  for (let i = 1; i <= strides + 1; i++) {
    const w = Math.min(MAX_WIDTH, BASE_WIDTH * 2 ** (i - 1));
    convs.push(new Conv2d(store, `conv${i}`, i === 1 ? inC : w / 2, w, 4, i <= strides ? 2 : 1, 1, options));
    norms.push(i === 1 ? null : new BatchNorm(store, `conv${i}/bn`, w));
  }
  const out = new Conv2d(store, 'out', convs[convs.length - 1].filters, 1, 4, 1, 1, options);
  let side = spec.imageSize;
  for (let i = 0; i < strides; i++) side /= 2;
  side -= 2; // two k4 s1 p1 layers each lose one pixel

  const features = (x: tf.Tensor4D, mode: RunMode): tf.Tensor4D[] => {
    const maps: tf.Tensor4D[] = [];
    let h = x;
    convs.forEach((conv, i) => {
      h = conv.apply(h, mode);
      if (norms[i]) h = norms[i]!.apply(h, mode);
      h = leakyRelu(h, 0.2);
      maps.push(h);
    });
    return maps;
  };
  return {
    store,
    inputShape: [spec.imageSize, spec.imageSize, inC],
    outputShape: [side, side, 1],
    apply(x: tf.Tensor, mode: RunMode): tf.Tensor {
      return tf.tidy(() => {
        const maps = features(x as tf.Tensor4D, mode);
        return out.apply(maps[maps.length - 1], mode);
      });
    },
    features(x: tf.Tensor, mode: RunMode): tf.Tensor[] {
      return features(x as tf.Tensor4D, mode);
    },
  };
}

export const pix2pix: Family = {
  summary: 'image-to-image: U-Net G from an input image, PatchGAN D on [input, image] pairs (needs a --task)',
  sizes: PIX2PIX_SIZES,
  input: 'image',
  exportsLayers: false,
  generator: pix2pixGenerator,
  discriminator: pix2pixDiscriminator,
};
