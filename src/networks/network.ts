/**
 * What every network family provides: the network interface, the spec families build from, and the family
 * descriptor. The registry the trainer picks families from by name is families.ts.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Init, ParamStore, RunMode } from './layers.js';

/** How D uses class labels: not at all, a projection term (Miyato & Koyama 2018), or ACGAN's auxiliary classifier. */
export const CONDITIONINGS = ['none', 'projection', 'acgan'] as const;
export type Conditioning = (typeof CONDITIONINGS)[number];
/** Where spectral normalisation is applied. */
export const SPECTRAL_NORMS = ['none', 'd', 'both'] as const;
/** D's normalisation in the families that have one (dcgan): BatchNorm as the reference, or none. */
export const D_NORMS = ['batch', 'none'] as const;
export type DNorm = (typeof D_NORMS)[number];
export type SpectralNorm = (typeof SPECTRAL_NORMS)[number];

export interface NetworkSpec {
  latentDim: number;
  imageSize: number;
  channels: number;
  /** Classes of a conditional GAN; 0 for an unconditional one. */
  numClasses: number;
  /** With numClasses > 0: G is class-conditional (conditional BatchNorm), D as named here. */
  conditioning: Conditioning;
  spectralNorm: SpectralNorm;
  /** Resolution (feature-map side) at which G and D get a self-attention block; 0 for none. */
  attention: number;
  /** D appends the minibatch standard deviation as a feature map before its last layers. */
  minibatchStd: boolean;
  init: Init;
  /** Image-to-image networks: channels of the input image G maps from and D judges pairs with (absent: a latent GAN). */
  conditionChannels?: number;
  /** Widths of families that take them (lightweight): G's channels at the image size, D's after its first layer. */
  gWidth?: number;
  dWidth?: number;
  /** dcgan family: BatchNorm in D (the reference; absent means batch) or none. */
  dNorm?: DNorm;
  /** stylegan family: layers of the mapping network z → w, and the probability of style mixing in training. */
  mappingLayers?: number;
  styleMixing?: number;
  /**
   * A conditional GAN whose class conditioning fades in during training (--cond-ramp): G and D hold the strength,
   * 0 to 1, as the buffer `label_strength`, which the training loop sets and sampling reads (parts.ts).
   */
  labelRamp?: boolean;
}

/**
 * The controls of a style-based G (the stylegan family): z → w, and ws (one per synthesis layer) → images. Sampling
 * with truncation, style mixing and projection use them; both run in inference mode.
 */
export interface StyleControls {
  /** The w vectors synthesis takes (one per layer) and their size. */
  readonly numWs: number;
  readonly wDim: number;
  /** The feature-map side w index i styles (coarse 4–8, middle 16–32, fine 64 and up). */
  readonly wSides: readonly number[];
  /** The mean w tracked in training (a buffer of the store): what truncation pulls toward. */
  readonly wAvg: tf.Variable;
  /** [h, w] of each synthesis layer's noise map, in order, and the constant maps [1, h, w, 1] inference uses. */
  readonly noiseShapes: readonly (readonly [number, number])[];
  readonly noiseConst: readonly tf.Variable[];
  /** z [N, latentDim] (and labels) → w [N, wDim], pulled toward the mean w by ψ = `truncation` (1: none). */
  mapping(z: tf.Tensor2D, labels?: tf.Tensor1D, truncation?: number): tf.Tensor2D;
  /** ws [N, numWs, wDim] → images; noise maps [N, h, w, 1] per layer, or the constant ones where absent. */
  synthesis(ws: tf.Tensor3D, noise?: readonly (tf.Tensor4D | null)[]): tf.Tensor4D;
}

export interface Network {
  /** Named parameters (optimised) and buffers (BatchNorm running statistics, spectral-norm u vectors). */
  readonly store: ParamStore;
  /** Shape of one input and one output, without the batch axis. */
  readonly inputShape: number[];
  readonly outputShape: number[];
  /**
   * G: z [N, latentDim] (or an input image, image-to-image) → images [N, H, W, C] in [−1, 1]. D: images (or
   * [input, image] pairs concatenated on channels) → logits [N, 1] (PatchGAN: [N, h, w, 1]), or [N, 1 + K] with ACGAN
   * (column 0 real/fake, then K class logits). `labels` (int32 [N]) is required when the network is conditional.
   */
  apply(x: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D): tf.Tensor;
  /** An equivalent tfjs-layers model with the current weights (inference mode), for export; families without one
   * cannot be exported yet. */
  layers?(): tf.LayersModel;
  /** D's intermediate feature maps, for feature matching (families that support it). */
  features?(x: tf.Tensor, mode: RunMode): tf.Tensor[];
  /**
   * D of a family that also learns a self-supervised task on real images (the lightweight family rebuilds them):
   * the logits of `apply` and the task's loss, from one pass. Training adds the loss to D's on every real batch.
   */
  selfSupervised?(x: tf.Tensor, mode: RunMode, labels?: tf.Tensor1D): { logits: tf.Tensor; loss: tf.Scalar };
  /** A style-based G's mapping and synthesis (stylegan family). */
  readonly style?: StyleControls;
}

export type NetworkBuilder = (spec: NetworkSpec, seed: number) => Network;

/** A network family (`--architecture`): one descriptor in a family file, listed in families.ts. */
export interface Family {
  /** One line for --help and the docs. */
  summary: string;
  /** The image sizes (height = width) it makes. */
  sizes: readonly number[];
  /** What G maps from: latent noise (and a class), or an input image (image-to-image: needs a --task). */
  input: 'latent' | 'image';
  /** Its G can have a tfjs-layers form (`Network.layers`, where its options allow): runs export generator/. */
  exportsLayers: boolean;
  generator: NetworkBuilder;
  discriminator: NetworkBuilder;
  /** Its G has style controls (`Network.style`): truncation, mixing, projection, path-length regularisation. */
  styleBased?: boolean;
  /** Spec options the family has no use for, with what it lacks: a run that sets one is refused (config.ts). */
  unsupported?: Partial<Record<'attention' | 'spectralNorm' | 'init', string>>;
}
