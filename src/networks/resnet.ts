/**
 * The SNGAN-style residual networks (Miyato et al. 2018, Miyato & Koyama 2018), narrowed for CPUs.
 * s = imageSize/4 (7, 8 or 16); G widths 64 → 32 → 16, D widths 16 → 32 → 64 (CPU budget: a training step at
 * batch 64 on 28×28 costs about 2.8× the reference dcgan's on 2 cores).
 *
 * G: z → Dense s·s·64 → Up(64→32) → Up(32→16) → BN → ReLU → Conv3×3 C → tanh
 *    Up: BN → ReLU → up×2 → Conv3×3 → BN → ReLU → Conv3×3, plus shortcut up×2 → Conv1×1
 * D: Down*(C→16) → Down(16→32) → Block(32→64) → ReLU → global sum pooling → Dense 1 (+ projection / ACGAN)
 *    Down*: Conv3×3 → ReLU → Conv3×3 → avgpool2, plus shortcut avgpool2 → Conv1×1 (the "optimized" first block)
 *    Down:  ReLU → Conv3×3 → ReLU → Conv3×3 → avgpool2, plus shortcut avgpool2 → Conv1×1
 *    Block: ReLU → Conv3×3 → ReLU → Conv3×3, plus a Conv1×1 shortcut (the identity when the widths agree)
 * No BatchNorm in D. The 1×1 shortcuts run at the lower resolution (they commute with nearest upsampling and
 * average pooling), which is the same function at a quarter of the cost. Pooling and upsampling are reshapes, so
 * D is differentiable twice; its sizes stay even where it pools (28 → 14 → 7 → 7, 32 → 16 → 8 → 8).
 * Options: as dcgan (see dcgan.ts); minibatch std adds a channel before the last block; attention follows the
 * dense layer or the first up block in G, the first or second block in D.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';
import { SelfAttention } from './attention.js';
import {
  avgPool2,
  Conv2d,
  checkLabels,
  Dense,
  type LayerOptions,
  minibatchStd,
  ParamStore,
  type RunMode,
  upsample2,
} from './layers.js';
import type { Family, Network, NetworkSpec } from './network.js';
import {
  checkFamilySpec,
  DiscriminatorHead,
  type GeneratorNorm,
  generatorNorm,
  isConditional,
  LabelInput,
  layerOptions,
} from './parts.js';

/** Even sizes down to the last block (28 → 14 → 7, 32 → 16 → 8, 64 → 32 → 16). */
const SIZES = [28, 32, 64];

/** Widths after the dense layer and after each up block; with D's, one step at batch 64 on 28×28 costs ≈2.8× dcgan's. */
const G_WIDTHS = [64, 32, 16];
/** Widths of D's three blocks. */
const D_WIDTHS = [16, 32, 64];

class UpBlock {
  readonly bn1: GeneratorNorm;
  readonly conv1: Conv2d;
  readonly bn2: GeneratorNorm;
  readonly conv2: Conv2d;
  readonly shortcut: Conv2d;

  constructor(store: ParamStore, name: string, inC: number, outC: number, spec: NetworkSpec, options: LayerOptions) {
    this.bn1 = generatorNorm(store, `${name}/bn1`, inC, spec).norm;
    this.conv1 = new Conv2d(store, `${name}/conv1`, inC, outC, 3, 1, 1, options);
    this.bn2 = generatorNorm(store, `${name}/bn2`, outC, spec).norm;
    this.conv2 = new Conv2d(store, `${name}/conv2`, outC, outC, 3, 1, 1, options);
    this.shortcut = new Conv2d(store, `${name}/shortcut`, inC, outC, 1, 1, 0, options);
  }

  apply(x: tf.Tensor4D, mode: RunMode, labels: tf.Tensor1D | undefined): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.conv1.apply(upsample2(tf.relu(this.bn1(x, mode, labels))), mode);
      h = this.conv2.apply(tf.relu(this.bn2(h, mode, labels)), mode);
      return tf.add(h, upsample2(this.shortcut.apply(x, mode)));
    });
  }
}

class DownBlock {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly shortcut: Conv2d | null;

  /** `first`: the optimized first block (no ReLU before conv1); `down`: average pooling at the end. */
  constructor(
    store: ParamStore,
    name: string,
    inC: number,
    outC: number,
    readonly first: boolean,
    readonly down: boolean,
    options: LayerOptions,
  ) {
    this.conv1 = new Conv2d(store, `${name}/conv1`, inC, outC, 3, 1, 1, options);
    this.conv2 = new Conv2d(store, `${name}/conv2`, outC, outC, 3, 1, 1, options);
    this.shortcut = inC !== outC || down ? new Conv2d(store, `${name}/shortcut`, inC, outC, 1, 1, 0, options) : null;
  }

  apply(x: tf.Tensor4D, mode: RunMode): tf.Tensor4D {
    return tf.tidy(() => {
      let h = this.conv1.apply(this.first ? x : tf.relu(x), mode);
      h = this.conv2.apply(tf.relu(h), mode);
      if (this.down) h = avgPool2(h);
      const skip = this.down ? avgPool2(x) : x;
      return tf.add(h, this.shortcut ? this.shortcut.apply(skip, mode) : skip);
    });
  }
}

export function resnetGenerator(spec: NetworkSpec, seed: number): Network {
  checkFamilySpec(spec, 'resnet', SIZES);
  const store = new ParamStore(new Rng(seed));
  const options = layerOptions(spec, 'g');
  const conditional = isConditional(spec);
  const s = spec.imageSize / 4;
  const [w0, w1, w2] = G_WIDTHS;
  const labelInput = conditional ? new LabelInput(store, spec) : null;
  const dense = new Dense(store, 'dense', spec.latentDim + (labelInput?.features ?? 0), s * s * w0, options);
  const att0 = spec.attention === s ? new SelfAttention(store, 'attention', w0, options) : null;
  const block1 = new UpBlock(store, 'block1', w0, w1, spec, options);
  const att1 = spec.attention === 2 * s ? new SelfAttention(store, 'attention', w1, options) : null;
  const block2 = new UpBlock(store, 'block2', w1, w2, spec, options);
  const bn = generatorNorm(store, 'bn', w2, spec).norm;
  const conv = new Conv2d(store, 'conv', w2, spec.channels, 3, 1, 1, options);

  return {
    store,
    inputShape: [spec.latentDim],
    outputShape: [spec.imageSize, spec.imageSize, spec.channels],
    apply(z: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D): tf.Tensor {
      if (conditional) checkLabels(labels, z.shape[0], 'this generator');
      return tf.tidy(() => {
        const input = labelInput ? labelInput.apply(z as tf.Tensor2D, labels!, mode) : (z as tf.Tensor2D);
        let h = tf.reshape(dense.apply(input, mode), [-1, s, s, w0]) as tf.Tensor4D;
        if (att0) h = att0.apply(h, mode);
        h = block1.apply(h, mode, labels);
        if (att1) h = att1.apply(h, mode);
        h = block2.apply(h, mode, labels);
        return tf.tanh(conv.apply(tf.relu(bn(h, mode, labels)), mode));
      });
    },
  };
}

export function resnetDiscriminator(spec: NetworkSpec, seed: number): Network {
  checkFamilySpec(spec, 'resnet', SIZES);
  const store = new ParamStore(new Rng(seed));
  const options = layerOptions(spec, 'd');
  const [w0, w1, w2] = D_WIDTHS;
  const block1 = new DownBlock(store, 'block1', spec.channels, w0, true, true, options);
  const att1 = spec.attention === spec.imageSize / 2 ? new SelfAttention(store, 'attention', w0, options) : null;
  const block2 = new DownBlock(store, 'block2', w0, w1, false, true, options);
  const att2 = spec.attention === spec.imageSize / 4 ? new SelfAttention(store, 'attention', w1, options) : null;
  const block3 = new DownBlock(store, 'block3', spec.minibatchStd ? w1 + 1 : w1, w2, false, false, options);
  const head = new DiscriminatorHead(store, w2, spec);

  return {
    store,
    inputShape: [spec.imageSize, spec.imageSize, spec.channels],
    outputShape: head.outputShape,
    apply(x: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D): tf.Tensor {
      return tf.tidy(() => {
        let h = block1.apply(x as tf.Tensor4D, mode);
        if (att1) h = att1.apply(h, mode);
        h = block2.apply(h, mode);
        if (att2) h = att2.apply(h, mode);
        if (spec.minibatchStd) h = minibatchStd(h);
        h = block3.apply(h, mode);
        const phi = tf.sum(tf.relu(h), [1, 2]) as tf.Tensor2D;
        return head.apply(phi, mode, labels);
      });
    },
  };
}

export const resnet: Family = {
  summary: 'SNGAN-style residual G and D, narrowed for CPUs (no BatchNorm in D)',
  sizes: SIZES,
  input: 'latent',
  exportsLayers: false,
  generator: resnetGenerator,
  discriminator: resnetDiscriminator,
};
