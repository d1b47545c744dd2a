/**
 * The style-based family (`--architecture stylegan`, preset `stylegan2`): the architecture of Karras et al. 2020,
 * "Analyzing and Improving the Image Quality of StyleGAN" (StyleGAN2), sized for a CPU.
 *
 * G = mapping · synthesis. Mapping: z (and a class embedding), each normalised to unit second moment → `mappingLayers`
 *    equalised dense layers with LeakyReLU and a 0.01 learning-rate multiplier → w. Training tracks the mean w
 *    (`w_avg`, a buffer: checkpointed, and what truncation pulls toward).
 *    Synthesis: a learned constant 4×4 (7×7 at 28 px), then per resolution: [up×2 →] modulated 3×3 conv → noise →
 *    bias → LeakyReLU, twice (once at the first resolution), and a modulated 1×1 toRGB whose output is added to the
 *    upsampled (and blurred) sum of the lower resolutions' (skip architecture). One w per layer (`numWs`): the
 *    first resolution takes w 0 (conv) and 1 (toRGB); resolution i ≥ 1 takes 2i−1, 2i for its convs and 2i+1 for its
 *    toRGB, which it shares with the next resolution's first conv, as in the reference.
 * Modulated convolution, in the paper's non-fused form (three cheap ops around one ordinary convolution, which the
 *    backend's oneDNN kernel runs): x·s per input channel, conv with the shared weight, then ·d per output channel
 *    with d = 1/√(Σ (w·s)²): the same as modulating and demodulating the weight per sample.
 * Noise: one map [N, h, w, 1] per conv with a learned strength (starting at 0). Training draws it from a seeded
 *    stream whose position is a buffer (`noise_step`, advanced every training pass, checkpointed: a resumed run
 *    draws the same noise); inference uses a constant map per layer (a buffer), so a seed gives the same picture in
 *    `gantry sample`, the evaluation and the browser.
 * Style mixing: with probability `styleMixing`, a training pass gives the layers from a random crossover index on
 *    the w of the next image in the batch (the batch's other latents are independent draws, like the reference's
 *    second z).
 * D (residual): fromRGB 1×1, then per resolution down to 4×4 (7×7): conv 3×3 → LeakyReLU → avgpool 2 → conv 3×3 →
 *    LeakyReLU, plus a shortcut avgpool 2 → conv 1×1, summed and scaled by 1/√2; at the end minibatch std (groups
 *    of 4) → conv 3×3 → dense → the equalised real/fake head (with projection or ACGAN on labelled data). No
 *    normalisation layers.
 * Everything is equalised learning rate (weights N(0, 1), scaled at run time by lrMul/√fanIn) and LeakyReLU 0.2
 *    with gain √2. Widths: G's channels at the image size `gWidth`, doubling per halving, at most 8× (D likewise with
 *    `dWidth`); docs/MODELS.md gives the choice.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../util/random.js';
import {
  avgPool2,
  checkLabels,
  Embedding,
  leakyRelu,
  minibatchStd,
  ParamStore,
  type RunMode,
  upsample2,
} from './layers.js';
import type { Family, Network, NetworkSpec, StyleControls } from './network.js';
import { checkFamilySpec, DiscriminatorHead, isConditional, labelStrength } from './parts.js';

const SIZES = [28, 32, 64, 128, 256];
/** Defaults of the widths and the mapping depth (docs/MODELS.md gives the measurements behind them). */
export const STYLEGAN_DEFAULTS = { gWidth: 16, dWidth: 16, mappingLayers: 2, styleMixing: 0.9 };
/** The tracked mean w moves this much toward each training batch's mean (the reference: 0.995). */
const W_AVG_BETA = 0.995;
const GAIN = Math.SQRT2;
/** D's minibatch-std group: the reference's 4, so each image carries its own group's spread (docs/MODELS.md). */
const MBSTD_GROUP = 4;

const startSize = (size: number) => (size === 28 ? 7 : 4);
function resolutions(size: number): number[] {
  const out = [startSize(size)];
  while (out[out.length - 1] < size) out.push(out[out.length - 1] * 2);
  return out;
}
const width = (side: number, size: number, base: number) => Math.min(8 * base, (base * size) / side);

/** LeakyReLU 0.2 times √2 (keeps the activations' scale), twice differentiable. */
function lrelu<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => tf.mul(leakyRelu(x, 0.2), GAIN) as T);
}

/** x / √(mean(x²) + ε) along the features: the unit second moment the mapping network starts from. */
function normalize2nd(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), 1, true), 1e-8))) as tf.Tensor2D);
}

/**
 * An equalised-learning-rate weight: stored as N(0, 1)/lrMul, used as stored · lrMul/√fanIn. Every weight then
 * moves at the same relative speed under Adam whatever its fan-in, and lrMul < 1 slows a whole network (mapping).
 */
export class EqualizedWeight {
  readonly variable: tf.Variable;
  readonly scale: number;

  constructor(store: ParamStore, name: string, shape: number[], fanIn: number, lrMul = 1) {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = store.rng.normals(size).map((v) => v / lrMul);
    this.variable = store.param(name, shape, values);
    this.scale = lrMul / Math.sqrt(fanIn);
  }

  /** The weight as the network uses it. */
  value(): tf.Tensor {
    return tf.mul(this.variable, this.scale);
  }
}

class EqualizedBias {
  readonly variable: tf.Variable;
  constructor(
    store: ParamStore,
    name: string,
    size: number,
    init: number,
    readonly lrMul = 1,
  ) {
    this.variable = store.param(name, [size], new Float32Array(size).fill(init / lrMul));
  }
  value(): tf.Tensor1D {
    return tf.mul(this.variable, this.lrMul) as tf.Tensor1D;
  }
}

export class EqualizedDense {
  readonly weight: EqualizedWeight;
  readonly bias: EqualizedBias;

  constructor(store: ParamStore, name: string, inF: number, outF: number, biasInit = 0, lrMul = 1) {
    this.weight = new EqualizedWeight(store, `${name}/kernel`, [inF, outF], inF, lrMul);
    this.bias = new EqualizedBias(store, `${name}/bias`, outF, biasInit, lrMul);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.add(tf.matMul(x, this.weight.value() as tf.Tensor2D), this.bias.value()));
  }
}

export class EqualizedConv {
  readonly weight: EqualizedWeight;
  readonly bias: EqualizedBias | null;

  constructor(store: ParamStore, name: string, inC: number, outC: number, k: number, bias = true) {
    this.weight = new EqualizedWeight(store, `${name}/kernel`, [k, k, inC, outC], inC * k * k);
    this.bias = bias ? new EqualizedBias(store, `${name}/bias`, outC, 0) : null;
  }

  apply(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const y = tf.conv2d(x, this.weight.value() as tf.Tensor4D, 1, 'same') as tf.Tensor4D;
      return this.bias ? (tf.add(y, this.bias.value()) as tf.Tensor4D) : y;
    });
  }
}

/**
 * A modulated convolution: the style s = affine(w) (bias 1, so it starts as the identity) scales the weight's input
 * channels per sample; with `demodulate` each output channel is then divided by its weight norm for that sample.
 */
export class ModulatedConv {
  readonly affine: EqualizedDense;
  readonly weight: EqualizedWeight;

  constructor(
    store: ParamStore,
    name: string,
    wDim: number,
    readonly inC: number,
    readonly outC: number,
    readonly k: number,
    readonly demodulate: boolean,
  ) {
    this.affine = new EqualizedDense(store, `${name}/affine`, wDim, inC, 1);
    this.weight = new EqualizedWeight(store, `${name}/kernel`, [k, k, inC, outC], inC * k * k);
  }

  apply(x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => {
      const n = x.shape[0];
      const s = this.affine.apply(w);
      const kernel = this.weight.value() as tf.Tensor4D;
      const modulated = tf.mul(x, tf.reshape(s, [n, 1, 1, this.inC])) as tf.Tensor4D;
      const y = tf.conv2d(modulated, kernel, 1, 'same') as tf.Tensor4D;
      if (!this.demodulate) return y;
      // Σ over taps and input channels of (w·s)² = s² · Σ_taps w², one small matrix product per batch.
      const energy = tf.matMul(tf.square(s), tf.sum(tf.square(kernel), [0, 1]) as tf.Tensor2D);
      return tf.mul(y, tf.reshape(tf.rsqrt(tf.add(energy, 1e-8)), [n, 1, 1, this.outC])) as tf.Tensor4D;
    });
  }
}

/** A synthesis layer: modulated conv → per-pixel noise × learned strength → bias → LeakyReLU·√2. */
class StyleLayer {
  readonly conv: ModulatedConv;
  readonly strength: tf.Variable;
  readonly noiseConst: tf.Variable;
  readonly bias: EqualizedBias;

  constructor(
    store: ParamStore,
    name: string,
    wDim: number,
    inC: number,
    outC: number,
    readonly side: number,
  ) {
    this.conv = new ModulatedConv(store, name, wDim, inC, outC, 3, true);
    this.strength = store.param(`${name}/noise_strength`, [1], new Float32Array(1));
    this.noiseConst = store.buffer(`${name}/noise_const`, [1, side, side, 1], store.rng.normals(side * side));
    this.bias = new EqualizedBias(store, `${name}/bias`, outC, 0);
  }

  apply(x: tf.Tensor4D, w: tf.Tensor2D, noise: tf.Tensor4D | null): tf.Tensor4D {
    return tf.tidy(() => {
      const y = this.conv.apply(x, w);
      return lrelu(tf.add(tf.add(y, tf.mul(noise ?? this.noiseConst, this.strength)), this.bias.value()));
    });
  }
}

class ToRgb {
  readonly conv: ModulatedConv;
  readonly bias: EqualizedBias;
  constructor(store: ParamStore, name: string, wDim: number, inC: number, channels: number) {
    this.conv = new ModulatedConv(store, name, wDim, inC, channels, 1, false);
    this.bias = new EqualizedBias(store, `${name}/bias`, channels, 0);
  }
  apply(x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D {
    return tf.tidy(() => tf.add(this.conv.apply(x, w), this.bias.value()));
  }
}

/**
 * Bilinear ×2 upsampling of the skip images: a stride-2 transposed convolution with the [1, 3, 3, 1]/4 filter in
 * each direction, per channel (nearest neighbour left blocks in the sum; slices and depthwise kernels are slow or
 * missing on wasm, a transposed convolution is one native kernel).
 */
function smoothUpsample(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const f = [1, 3, 3, 1].map((v) => v / 4);
    const taps = new Float32Array(16 * c * c);
    for (let i = 0; i < 4; i++)
      for (let j = 0; j < 4; j++) for (let k = 0; k < c; k++) taps[((i * 4 + j) * c + k) * c + k] = f[i] * f[j];
    const up = tf.conv2dTranspose(x, tf.tensor4d(taps, [4, 4, c, c]), [n, 2 * h, 2 * w, c], 2, 'same');
    // The border pixels miss the taps outside the image: divide by the weight they did get (edges stay edges).
    const f1 = tf.tensor4d(
      f.flatMap((a) => f.map((b) => a * b)),
      [4, 4, 1, 1],
    );
    const weight = tf.conv2dTranspose(tf.ones([1, h, w, 1]) as tf.Tensor4D, f1, [1, 2 * h, 2 * w, 1], 2, 'same');
    return tf.div(up, weight) as tf.Tensor4D;
  });
}

/**
 * The feature-map side each w index styles (`StyleControls.wSides`): index 0 the first resolution's conv, then
 * 2r−1 and 2r resolution r's convs (2r−1 also the toRGB below it), the last the image-size toRGB.
 */
export function styleSides(size: number): number[] {
  const sides = resolutions(size);
  return Array.from({ length: 2 * sides.length }, (_, i) => sides[Math.min(sides.length - 1, Math.ceil(i / 2))]);
}

export function styleganGenerator(spec: NetworkSpec, seed: number): Network {
  checkFamilySpec(spec, 'stylegan', SIZES);
  const store = new ParamStore(new Rng(seed));
  const size = spec.imageSize;
  const base = spec.gWidth ?? STYLEGAN_DEFAULTS.gWidth;
  const sides = resolutions(size);
  const wDim = spec.latentDim;
  const conditional = isConditional(spec);
  const mixing = spec.styleMixing ?? STYLEGAN_DEFAULTS.styleMixing;

  // Mapping.
  const embed = conditional ? new Embedding(store, 'mapping/embed', spec.numClasses, wDim) : null;
  const strength = conditional ? labelStrength(store, spec) : null;
  const depth = spec.mappingLayers ?? STYLEGAN_DEFAULTS.mappingLayers;
  const mapping = Array.from(
    { length: depth },
    (_, i) => new EqualizedDense(store, `mapping/fc${i}`, i === 0 && embed ? 2 * wDim : wDim, wDim, 0, 0.01),
  );
  const wAvg = store.buffer('w_avg', [wDim], new Float32Array(wDim));
  const noiseStep = store.buffer('noise_step', [1], new Float32Array(1));

  // Synthesis.
  const c0 = width(sides[0], size, base);
  const constant = store.param('synthesis/const', [1, sides[0], sides[0], c0], store.rng.normals(sides[0] ** 2 * c0));
  const layers: StyleLayer[] = [new StyleLayer(store, `synthesis/${sides[0]}/conv1`, wDim, c0, c0, sides[0])];
  const toRgb: ToRgb[] = [new ToRgb(store, `synthesis/${sides[0]}/torgb`, wDim, c0, spec.channels)];
  for (const side of sides.slice(1)) {
    const inC = width(side / 2, size, base);
    const c = width(side, size, base);
    layers.push(new StyleLayer(store, `synthesis/${side}/conv0`, wDim, inC, c, side));
    layers.push(new StyleLayer(store, `synthesis/${side}/conv1`, wDim, c, c, side));
    toRgb.push(new ToRgb(store, `synthesis/${side}/torgb`, wDim, c, spec.channels));
  }
  const numWs = layers.length + 1;

  const mapZ = (z: tf.Tensor2D, labels: tf.Tensor1D | undefined): tf.Tensor2D =>
    tf.tidy(() => {
      let x = normalize2nd(z);
      if (embed) {
        const y = embed.apply(checkLabels(labels, z.shape[0], 'this class-conditional stylegan'), { training: false });
        const label = normalize2nd(y);
        x = tf.concat([x, strength ? tf.mul(label, strength) : label], 1);
      }
      for (const fc of mapping) x = lrelu(fc.apply(x));
      return x;
    });

  const truncate = (w: tf.Tensor2D, psi: number): tf.Tensor2D =>
    psi === 1 ? w : tf.tidy(() => tf.add(wAvg, tf.mul(tf.sub(w, wAvg), psi)) as tf.Tensor2D);

  /** ws: one [N, wDim] per index; noise: per layer, or null for the constant maps. */
  const synthesize = (ws: tf.Tensor2D[], noise: (tf.Tensor4D | null)[]): tf.Tensor4D =>
    tf.tidy(() => {
      const n = ws[0].shape[0];
      let x = tf.tile(constant, [n, 1, 1, 1]) as tf.Tensor4D;
      x = layers[0].apply(x, ws[0], noise[0]);
      let image = toRgb[0].apply(x, ws[1]);
      for (let r = 1; r < sides.length; r++) {
        x = layers[2 * r - 1].apply(upsample2(x), ws[2 * r - 1], noise[2 * r - 1]);
        x = layers[2 * r].apply(x, ws[2 * r], noise[2 * r]);
        image = tf.add(smoothUpsample(image), toRgb[r].apply(x, ws[2 * r + 1]));
      }
      return image;
    });

  const style: StyleControls = {
    numWs,
    wDim,
    wSides: styleSides(size),
    wAvg,
    mapping: (z, labels, truncation = 1) => tf.tidy(() => truncate(mapZ(z, labels), truncation)),
    synthesis: (ws, noise) =>
      tf.tidy(() => {
        const list = tf.unstack(ws, 1) as tf.Tensor2D[];
        return synthesize(
          list,
          layers.map((_, i) => noise?.[i] ?? null),
        );
      }),
    noiseShapes: layers.map((l) => [l.side, l.side] as const),
    noiseConst: layers.map((l) => l.noiseConst),
  };

  return {
    store,
    inputShape: [spec.latentDim],
    outputShape: [size, size, spec.channels],
    style,
    apply(z, mode: RunMode, labels) {
      if (!mode.training) {
        return tf.tidy(() => {
          const w = truncate(mapZ(z as tf.Tensor2D, labels), mode.truncation ?? 1);
          return synthesize(new Array(numWs).fill(w), new Array(layers.length).fill(null));
        });
      }
      // Training: the noise stream's position, advanced by passes that update buffers.
      const step = noiseStep.dataSync()[0];
      const rng = new Rng((step * 7919 + 17) >>> 0);
      return tf.tidy(() => {
        const n = z.shape[0];
        const w = mapZ(z as tf.Tensor2D, labels);
        if (mode.updateStats !== false) {
          const beta = mode.statsMomentum != null ? 1 - mode.statsMomentum : W_AVG_BETA;
          wAvg.assign(tf.add(tf.mul(wAvg, beta), tf.mul(tf.mean(w, 0), 1 - beta)));
          noiseStep.assign(tf.tensor1d([step + 1]));
        }
        let ws: tf.Tensor2D[] = new Array(numWs).fill(w);
        if (mixing > 0 && n > 1 && rng.uniform() < mixing) {
          const cut = 1 + Math.floor(rng.uniform() * (numWs - 1));
          const other = tf.concat([tf.slice(w, [1, 0], [n - 1, wDim]), tf.slice(w, [0, 0], [1, wDim])], 0);
          ws = ws.map((wi, i) => (i < cut ? wi : other));
        }
        const noise = layers.map((l) => tf.tensor4d(rng.normals(n * l.side * l.side), [n, l.side, l.side, 1]));
        return synthesize(ws, noise);
      });
    },
  };
}

export function styleganDiscriminator(spec: NetworkSpec, seed: number): Network {
  checkFamilySpec(spec, 'stylegan', SIZES);
  const store = new ParamStore(new Rng(seed));
  const size = spec.imageSize;
  const base = spec.dWidth ?? STYLEGAN_DEFAULTS.dWidth;
  const sides = resolutions(size).reverse();
  const inChannels = spec.channels + (spec.conditionChannels ?? 0);
  const fromRgb = new EqualizedConv(store, `fromrgb`, inChannels, width(size, size, base), 1);
  const blocks = sides.slice(0, -1).map((side) => {
    const c = width(side, size, base);
    const next = width(side / 2, size, base);
    return {
      conv0: new EqualizedConv(store, `${side}/conv0`, c, c, 3),
      conv1: new EqualizedConv(store, `${side}/conv1`, c, next, 3),
      skip: new EqualizedConv(store, `${side}/skip`, c, next, 1, false),
    };
  });
  const last = sides[sides.length - 1];
  const cLast = width(last, size, base);
  const epilogueConv = new EqualizedConv(store, 'epilogue/conv', cLast + 1, cLast, 3);
  const fc = new EqualizedDense(store, 'epilogue/fc', last * last * cLast, cLast);
  // Equalised like every other weight of D (a plain dense head moved ~8× faster than the rest under Adam).
  const head = new DiscriminatorHead(
    store,
    cLast,
    spec,
    (st, name, inF, outF) => new EqualizedDense(st, name, inF, outF),
  );

  return {
    store,
    inputShape: [size, size, inChannels],
    outputShape: head.outputShape,
    apply(x, mode, labels) {
      return tf.tidy(() => {
        let h = lrelu(fromRgb.apply(x as tf.Tensor4D));
        for (const b of blocks) {
          const main = lrelu(b.conv1.apply(avgPool2(lrelu(b.conv0.apply(h)))));
          h = tf.mul(tf.add(main, b.skip.apply(avgPool2(h))), Math.SQRT1_2) as tf.Tensor4D;
        }
        h = lrelu(epilogueConv.apply(minibatchStd(h, MBSTD_GROUP)));
        const phi = lrelu(fc.apply(tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D));
        return head.apply(phi, mode, labels);
      });
    },
  };
}

export const stylegan: Family = {
  summary: 'StyleGAN2: mapping network, modulated convolutions, noise, skip toRGB; residual D (CPU-sized)',
  sizes: SIZES,
  input: 'latent',
  exportsLayers: false,
  styleBased: true,
  generator: styleganGenerator,
  discriminator: styleganDiscriminator,
  unsupported: {
    attention: 'self-attention (--attention)',
    spectralNorm: 'spectral norm (--spectral-norm): equalised learning rate and R1 keep it in check',
    init: 'choice of initialisation (--init): equalised learning rate draws N(0, 1) and scales at run time',
  },
};
