/**
 * Parts the network families share: layer options from the spec, G's (conditional) normalisation, the label input
 * of a conditional G, D's real/fake head with projection or ACGAN, and the spec checks every family makes.
 */
import * as tf from '@tensorflow/tfjs';
import { checkAttention } from './attention.js';
import {
  BatchNorm,
  ConditionalBatchNorm,
  checkLabels,
  Dense,
  Embedding,
  type LayerOptions,
  type ParamStore,
  type RunMode,
} from './layers.js';
import type { NetworkSpec } from './network.js';

/** Whether the spec makes class-conditional networks (numClasses > 0 with a conditioning other than 'none'). */
export function isConditional(spec: NetworkSpec): boolean {
  return spec.numClasses > 0 && spec.conditioning !== 'none';
}

/** Layer options of G and of D for a spec. */
export function layerOptions(spec: NetworkSpec, of: 'g' | 'd'): LayerOptions {
  const sn = of === 'g' ? spec.spectralNorm === 'both' : spec.spectralNorm !== 'none';
  return { init: spec.init, spectralNorm: sn };
}

/** The buffer a network's class conditioning is scaled by, 0 to 1, with --cond-ramp (else null: full strength). */
const LABEL_STRENGTH = 'label_strength';

/**
 * The network's label strength, made at its first use (the label input, each conditional BatchNorm and D's head
 * share one). Transitional conditioning (Shahbazi et al. 2022, "Collapse by Conditioning"): a conditional GAN on a
 * few hundred images a class trains unconditionally first and lets the classes in gradually; from the start, D's
 * per-class judgement overfits and G draws one picture per class (docs/MODELS.md).
 */
export function labelStrength(store: ParamStore, spec: NetworkSpec): tf.Variable | null {
  if (!spec.labelRamp) return null;
  return store.buffers.get(LABEL_STRENGTH) ?? store.buffer(LABEL_STRENGTH, [1], new Float32Array([1]));
}

/** Sets the label strength of a network that has one (the training loop, at each step). */
export function setLabelStrength(store: ParamStore, value: number): void {
  const buffer = store.buffers.get(LABEL_STRENGTH);
  if (buffer != null) tf.tidy(() => buffer.assign(tf.tensor1d([value])));
}

/** G's normalisation: BatchNorm, or conditional BatchNorm in a conditional G. */
export type GeneratorNorm = (x: tf.Tensor4D, mode: RunMode, labels: tf.Tensor1D | undefined) => tf.Tensor4D;

export function generatorNorm(
  store: ParamStore,
  name: string,
  channels: number,
  spec: NetworkSpec,
): { norm: GeneratorNorm; bn: BatchNorm | null } {
  if (!isConditional(spec)) {
    const bn = new BatchNorm(store, name, channels);
    return { norm: (x, mode) => bn.apply(x, mode), bn };
  }
  const cbn = new ConditionalBatchNorm(store, name, channels, spec.numClasses);
  const strength = labelStrength(store, spec);
  return { norm: (x, mode, labels) => cbn.apply(x, mode, labels!, strength ?? undefined), bn: null };
}

/**
 * A conditional G's label enters twice: as an N(0, 1) embedding concatenated to z (a strong signal from the first
 * step, as in PyTorch-GAN's cGAN and ACGAN) and through conditional BatchNorm (whose per-class gains Adam moves by
 * at most lr a step, too slowly to carry the class alone in a short run).
 */
export class LabelInput {
  readonly embed: Embedding;
  readonly features: number;
  readonly strength: tf.Variable | null;

  constructor(store: ParamStore, spec: NetworkSpec) {
    this.features = spec.numClasses;
    this.embed = new Embedding(store, 'label_embed', spec.numClasses, this.features);
    this.strength = labelStrength(store, spec);
  }

  apply(z: tf.Tensor2D, labels: tf.Tensor1D, mode: RunMode): tf.Tensor2D {
    return tf.tidy(() => {
      const y = this.embed.apply(labels, mode);
      return tf.concat([z, this.strength ? tf.mul(y, this.strength) : y], 1);
    });
  }
}

/** A dense layer of D's head; a family with its own weight scheme (stylegan's equalised learning rate) gives its own. */
export interface HeadLayer {
  apply(x: tf.Tensor2D, mode: RunMode): tf.Tensor2D;
}
export type HeadDense = (store: ParamStore, name: string, inF: number, outF: number) => HeadLayer;

/** D's class-conditional heads on its last feature vector φ [N, F]: the real/fake logit plus projection or ACGAN. */
export class DiscriminatorHead {
  readonly out: HeadLayer;
  readonly embed: Embedding | null = null;
  readonly classes: HeadLayer | null = null;
  readonly strength: tf.Variable | null;

  constructor(
    store: ParamStore,
    readonly features: number,
    readonly spec: NetworkSpec,
    dense?: HeadDense,
  ) {
    const options = layerOptions(spec, 'd');
    const layer = dense ?? ((st, name, inF, outF) => new Dense(st, name, inF, outF, options));
    this.out = layer(store, 'out', features, 1);
    // N(0, 1/F): the projection term ⟨embed(y), φ(x)⟩ starts at the scale of the plain logit (N(0, 1) made
    // D separate real from fake at once and G stop learning).
    if (isConditional(spec) && spec.conditioning === 'projection')
      this.embed = new Embedding(store, 'embed', spec.numClasses, features, options, 1 / Math.sqrt(features));
    if (isConditional(spec) && spec.conditioning === 'acgan')
      this.classes = layer(store, 'classes', features, spec.numClasses);
    this.strength = this.embed ? labelStrength(store, spec) : null;
  }

  get outputShape(): number[] {
    return [this.classes ? 1 + this.spec.numClasses : 1];
  }

  apply(phi: tf.Tensor2D, mode: RunMode, labels: tf.Tensor1D | undefined): tf.Tensor2D {
    if (this.embed == null && this.classes == null) return this.out.apply(phi, mode);
    return tf.tidy(() => {
      const logit = this.out.apply(phi, mode);
      if (this.classes) return tf.concat([logit, this.classes.apply(phi, mode)], 1);
      const y = this.embed!.apply(checkLabels(labels, phi.shape[0], 'this projection discriminator'), mode);
      const projection = tf.sum(tf.mul(y, phi), 1, true);
      return tf.add(logit, this.strength ? tf.mul(projection, this.strength) : projection);
    });
  }
}

/** The checks every family shares: image size, channels, classes and attention. */
export function checkFamilySpec(spec: NetworkSpec, family: string, sizes: readonly number[]): void {
  if (!sizes.includes(spec.imageSize))
    throw new Error(`the ${family} architecture makes ${sizes.join(', ')} pixel images, not ${spec.imageSize}`);
  if (spec.channels !== 1 && spec.channels !== 3) throw new Error(`channels must be 1 or 3, got ${spec.channels}`);
  if (!Number.isInteger(spec.numClasses) || spec.numClasses < 0)
    throw new Error(`numClasses must be an integer ≥ 0, got ${spec.numClasses}`);
  checkAttention(spec, family);
}

/** What D sees of an image: the image, or the [condition, image] pair. */
export function paired(x: tf.Tensor, condition: tf.Tensor4D | undefined): tf.Tensor {
  return condition == null ? x : tf.concat([condition, x as tf.Tensor4D], 3);
}
