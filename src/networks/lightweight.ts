/**
 * The lightweight family (`--architecture lightweight`, preset `fastgan`): the design of Liu et al. 2021, "Towards
 * Faster and Stabilized GAN Training for High-fidelity Few-shot Image Synthesis" (FastGAN), sized for a CPU.
 *
 * G: z → Dense 4·4·2c (or 7·7 at 28 px) → BN → GLU, then up blocks to the image size: up×2 → Conv3×3 (→ 2c') → BN →
 *    GLU, halving the width every step from 8·gWidth (capped) down to gWidth at the image size; skip-layer
 *    excitation (SLE) gates the channels of the last two resolutions by a low-resolution feature map 4–8× smaller
 *    (pooled to ≤ 4×4 → Dense → LeakyReLU 0.1 → Dense → sigmoid, one gain per channel); Conv3×3 → tanh.
 * D: Conv4×4/2 → LeakyReLU 0.2, then down blocks to 8×8 (7×7 at 28 px), each the mean of a main path (Conv4×4/2 →
 *    LeakyReLU → Conv3×3 → LeakyReLU) and a shortcut (avgpool2 → Conv1×1 → LeakyReLU); the width doubles every step
 *    from dWidth (capped at 8·dWidth). Head: Conv1×1 → LeakyReLU → global sum → Dense 1 (+ projection / ACGAN).
 *    No BatchNorm in D (it fights differentiable augmentation); spectral norm by the options (the preset sets it).
 * Self-supervision: on real images only, two small decoders rebuild the image from D's features: one the whole
 *    image (at ≤ 32 px) from the last 8×8 map, one a quarter of it from the 16×16 map's matching quarter (sample i
 *    takes quarter i mod 4, so the choice needs no random numbers). D's loss adds the mean L1 error of both (the
 *    paper uses LPIPS, a VGG distance, too heavy here); it makes D learn features that describe the image, not only
 *    the few that tell real from fake, which is what keeps a D on a few hundred images from overfitting.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';
import {
  avgPool2,
  Conv2d,
  checkLabels,
  Dense,
  type LayerOptions,
  leakyRelu,
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

const SIZES = [28, 32, 64, 128, 256];
/** Default widths: G's channels at the image size, D's after its first layer (see docs/MODELS.md for the choice). */
export const LIGHTWEIGHT_WIDTHS = { g: 8, d: 16 };

/** The first feature map's side: 7 for 28 px, else 4. */
const startSize = (size: number) => (size === 28 ? 7 : 4);
/** The feature-map sides of G, from the first to the image size. */
function resolutions(size: number): number[] {
  const out = [startSize(size)];
  while (out[out.length - 1] < size) out.push(out[out.length - 1] * 2);
  return out;
}

/** Gated linear unit over channels: the first half times the sigmoid of the second. */
function glu(x: tf.Tensor4D): tf.Tensor4D {
  const c = x.shape[3] / 2;
  return tf.tidy(() => {
    const [a, b] = tf.split(x, [c, c], 3);
    return tf.mul(a, tf.sigmoid(b)) as tf.Tensor4D;
  });
}

/** Halves a map's side until it is at most 4 (odd sides stop the halving: 7 stays 7). */
function poolToSmall(x: tf.Tensor4D): tf.Tensor4D {
  let h = x;
  while (h.shape[1] > 4 && h.shape[1] % 2 === 0) h = avgPool2(h);
  return h;
}

/** Skip-layer excitation: per-channel gains for a high-resolution map from a low-resolution one. */
export class Excitation {
  readonly fc1: Dense;
  readonly fc2: Dense;

  constructor(store: ParamStore, name: string, lowSide: number, lowC: number, highC: number, options: LayerOptions) {
    let side = lowSide;
    while (side > 4 && side % 2 === 0) side /= 2;
    this.fc1 = new Dense(store, `${name}/fc1`, side * side * lowC, highC, options);
    this.fc2 = new Dense(store, `${name}/fc2`, highC, highC, options);
  }

  apply(low: tf.Tensor4D, high: tf.Tensor4D, mode: RunMode): tf.Tensor4D {
    return tf.tidy(() => {
      const pooled = poolToSmall(low);
      const flat = tf.reshape(pooled, [pooled.shape[0], -1]) as tf.Tensor2D;
      const gains = tf.sigmoid(this.fc2.apply(leakyRelu(this.fc1.apply(flat, mode), 0.1), mode));
      return tf.mul(high, tf.reshape(gains, [high.shape[0], 1, 1, high.shape[3]])) as tf.Tensor4D;
    });
  }
}

/** G's width at each side: gWidth at the image size, doubling per halving, capped at 8·gWidth. */
function generatorWidth(side: number, size: number, g: number): number {
  return Math.min(8 * g, g * (size / side));
}

/** Which of G's maps gates which: into each of the last two sides h ≥ 16, from side max(start, h/8) if ≤ h/4. */
export function excitationPairs(size: number): [number, number][] {
  const sides = resolutions(size);
  const pairs: [number, number][] = [];
  for (const high of sides.slice(-2)) {
    const low = Math.max(sides[0], high / 8);
    if (high >= 16 && low <= high / 4) pairs.push([low, high]);
  }
  return pairs;
}

export function lightweightGenerator(spec: NetworkSpec, seed: number): Network {
  checkFamilySpec(spec, 'lightweight', SIZES);
  const store = new ParamStore(new Rng(seed));
  const options = layerOptions(spec, 'g');
  const size = spec.imageSize;
  const g = spec.gWidth ?? LIGHTWEIGHT_WIDTHS.g;
  const sides = resolutions(size);
  const width = (side: number) => generatorWidth(side, size, g);
  const labelInput = isConditional(spec) ? new LabelInput(store, spec) : null;
  const s0 = sides[0];
  const dense = new Dense(
    store,
    'dense',
    spec.latentDim + (labelInput?.features ?? 0),
    s0 * s0 * 2 * width(s0),
    options,
  );
  const norm0 = generatorNorm(store, 'bn0', 2 * width(s0), spec).norm;
  const ups: { conv: Conv2d; norm: GeneratorNorm; side: number }[] = sides.slice(1).map((side) => ({
    side,
    conv: new Conv2d(store, `up${side}/conv`, width(side / 2), 2 * width(side), 3, 1, 1, options),
    norm: generatorNorm(store, `up${side}/bn`, 2 * width(side), spec).norm,
  }));
  const excitations = new Map(
    excitationPairs(size).map(([low, high]) => [
      high,
      { low, se: new Excitation(store, `sle${low}to${high}`, low, width(low), width(high), options) },
    ]),
  );
  const toImage = new Conv2d(store, 'to_image', width(size), spec.channels, 3, 1, 1, options);

  return {
    store,
    inputShape: [spec.latentDim],
    outputShape: [size, size, spec.channels],
    apply(z: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D): tf.Tensor {
      if (labelInput) checkLabels(labels, z.shape[0], 'this generator');
      return tf.tidy(() => {
        const input = labelInput ? labelInput.apply(z as tf.Tensor2D, labels!, mode) : (z as tf.Tensor2D);
        let h = tf.reshape(dense.apply(input, mode), [-1, s0, s0, 2 * width(s0)]) as tf.Tensor4D;
        h = glu(norm0(h, mode, labels));
        const maps = new Map<number, tf.Tensor4D>([[s0, h]]);
        for (const up of ups) {
          h = glu(up.norm(up.conv.apply(upsample2(h), mode), mode, labels));
          const gate = excitations.get(up.side);
          if (gate) h = gate.se.apply(maps.get(gate.low)!, h, mode);
          maps.set(up.side, h);
        }
        return tf.tanh(toImage.apply(h, mode));
      });
    },
  };
}

/** D's down block: the mean of a strided main path and a pooled 1×1 shortcut. */
class DownBlock {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly shortcut: Conv2d;

  constructor(store: ParamStore, name: string, inC: number, outC: number, options: LayerOptions) {
    this.conv1 = new Conv2d(store, `${name}/conv1`, inC, outC, 4, 2, 1, options);
    this.conv2 = new Conv2d(store, `${name}/conv2`, outC, outC, 3, 1, 1, options);
    this.shortcut = new Conv2d(store, `${name}/shortcut`, inC, outC, 1, 1, 0, options);
  }

  apply(x: tf.Tensor4D, mode: RunMode): tf.Tensor4D {
    return tf.tidy(() => {
      const main = leakyRelu(this.conv2.apply(leakyRelu(this.conv1.apply(x, mode), 0.2), mode), 0.2);
      const direct = leakyRelu(this.shortcut.apply(avgPool2(x), mode), 0.2);
      return tf.mul(tf.add(main, direct), 0.5) as tf.Tensor4D;
    });
  }
}

/** A small decoder: `steps` up×2 → Conv3×3 → LeakyReLU steps, then Conv3×3 → tanh to an image. */
class Decoder {
  readonly convs: Conv2d[];
  readonly out: Conv2d;

  constructor(
    store: ParamStore,
    name: string,
    inC: number,
    width: number,
    channels: number,
    steps: number,
    options: LayerOptions,
  ) {
    this.convs = Array.from(
      { length: steps },
      (_, k) => new Conv2d(store, `${name}/conv${k + 1}`, k === 0 ? inC : width, width, 3, 1, 1, options),
    );
    this.out = new Conv2d(store, `${name}/out`, width, channels, 3, 1, 1, options);
  }

  apply(x: tf.Tensor4D, mode: RunMode): tf.Tensor4D {
    return tf.tidy(() => {
      let h = x;
      for (const conv of this.convs) h = leakyRelu(conv.apply(upsample2(h), mode), 0.2);
      return tf.tanh(this.out.apply(h, mode));
    });
  }
}

/** Quarter q of each map ([N, s, s, c] → [N, s/2, s/2, c]), quarter i mod 4 for sample i. */
function quarters(x: tf.Tensor4D): tf.Tensor4D {
  const [n, s, , c] = x.shape;
  const half = s / 2;
  return tf.tidy(() => {
    const all = [0, 1, 2, 3].map((q) =>
      tf.slice(x, [0, Math.floor(q / 2) * half, (q % 2) * half, 0], [n, half, half, c]),
    );
    const stacked = tf.reshape(tf.stack(all), [4 * n, half, half, c]);
    const index = Int32Array.from({ length: n }, (_, i) => (i % 4) * n + i);
    return tf.gather(stacked, tf.tensor1d(index, 'int32')) as tf.Tensor4D;
  });
}

/** Average-pools an image to `side` (a power-of-two fraction of its own). */
function poolTo(x: tf.Tensor4D, side: number): tf.Tensor4D {
  let h = x;
  while (h.shape[1] > side) h = avgPool2(h);
  return h;
}

export interface LightweightDiscriminator extends Network {
  /** D's logits on real images and the reconstruction loss of its two decoders, from one pass. */
  selfSupervised(x: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D): { logits: tf.Tensor; loss: tf.Scalar };
}

export function lightweightDiscriminator(spec: NetworkSpec, seed: number): LightweightDiscriminator {
  checkFamilySpec(spec, 'lightweight', SIZES);
  if (spec.conditionChannels != null) throw new Error('the lightweight family generates from noise, not from images');
  const store = new ParamStore(new Rng(seed));
  const options = layerOptions(spec, 'd');
  const size = spec.imageSize;
  const d = spec.dWidth ?? LIGHTWEIGHT_WIDTHS.d;
  // D's last map is 8×8 (7×7 at 28 px); the whole image is rebuilt at up to 4× that side, a quarter at up to 4× the
  // quarter's side (which is the last map's side too).
  const lastSide = size === 28 ? 7 : 8;
  const wholeSide = Math.min(size, 4 * lastSide);
  const partSide = Math.min(size / 2, 4 * lastSide);
  const widthAt = (side: number) => Math.min(8 * d, d * (size / 2 / side));
  const stem = new Conv2d(store, 'stem', spec.channels, widthAt(size / 2), 4, 2, 1, options);
  const blocks: DownBlock[] = [];
  for (let side = size / 2; side > lastSide; side /= 2)
    blocks.push(new DownBlock(store, `down${side / 2}`, widthAt(side), widthAt(side / 2), options));
  const cLast = widthAt(lastSide);
  const cPrev = widthAt(2 * lastSide);
  const headConv = new Conv2d(store, 'head/conv', spec.minibatchStd ? cLast + 1 : cLast, cLast, 1, 1, 0, options);
  const head = new DiscriminatorHead(store, cLast, spec);
  const decoderWidth = Math.max(8, d);
  const steps = (to: number) => Math.round(Math.log2(to / lastSide));
  const whole = new Decoder(store, 'decode_whole', cLast, decoderWidth, spec.channels, steps(wholeSide), options);
  const part = new Decoder(store, 'decode_part', cPrev, decoderWidth, spec.channels, steps(partSide), options);

  const features = (x: tf.Tensor4D, mode: RunMode) => {
    let h = leakyRelu(stem.apply(x, mode), 0.2);
    let previous = h;
    for (const block of blocks) {
      previous = h;
      h = block.apply(h, mode);
    }
    return { last: h, previous };
  };
  const logits = (h: tf.Tensor4D, mode: RunMode, labels?: tf.Tensor1D) => {
    const hh = spec.minibatchStd ? minibatchStd(h) : h;
    const phi = tf.sum(leakyRelu(headConv.apply(hh, mode), 0.2), [1, 2]) as tf.Tensor2D;
    return head.apply(phi, mode, labels);
  };

  return {
    store,
    inputShape: [size, size, spec.channels],
    outputShape: head.outputShape,
    apply(x: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D): tf.Tensor {
      return tf.tidy(() => logits(features(x as tf.Tensor4D, mode).last, mode, labels));
    },
    features(x: tf.Tensor, mode: RunMode): tf.Tensor[] {
      return tf.tidy(() => {
        const f = features(x as tf.Tensor4D, mode);
        return [f.previous, f.last];
      });
    },
    selfSupervised(x: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D) {
      return tf.tidy(() => {
        const image = x as tf.Tensor4D;
        const f = features(image, mode);
        const rebuilt = whole.apply(f.last, mode);
        const rebuiltPart = part.apply(quarters(f.previous), mode);
        const target = poolTo(image, rebuilt.shape[1]);
        const targetPart = poolTo(quarters(image), rebuiltPart.shape[1]);
        const loss = tf.add(
          tf.mean(tf.abs(tf.sub(rebuilt, target))),
          tf.mean(tf.abs(tf.sub(rebuiltPart, targetPart))),
        ) as tf.Scalar;
        return { logits: logits(f.last, mode, labels), loss };
      });
    },
  };
}

export const lightweight: Family = {
  summary: 'FastGAN-style G with skip-layer excitation and a D that also rebuilds real images (few-shot, CPU-sized)',
  sizes: SIZES,
  input: 'latent',
  exportsLayers: false,
  generator: lightweightGenerator,
  discriminator: lightweightDiscriminator,
};
