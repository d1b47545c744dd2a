/**
 * Every training option, described once: its type, default, range, one-line help, flag and whether a resumed run
 * may change it; and the presets, named deltas from the defaults. The config type (`TrainConfig`), the defaults, `gantry train --help`, its flags and the set of
 * options `--resume` accepts are all derived from this table; a new option is one entry here.
 */
import { BACKENDS } from './backend/choices.js';
import { SUBSETS } from './data/dataset.js';
import { DATASET_NAMES, DATASETS } from './data/registry.js';
import { LOSS_NAMES } from './losses.js';
import { D_FAMILY_CHOICES, FAMILY_NAMES } from './networks/families.js';
import { INITS } from './networks/layers.js';
import { CONDITIONINGS, D_NORMS, SPECTRAL_NORMS } from './networks/network.js';

interface Described<T> {
  /** The value a run gets when neither a preset nor a flag sets it. */
  default: T;
  /** One line for --help. */
  help: string;
  /** The flag's name when it is not the option's name in kebab case. */
  flag?: string;
  /** Shown in --help as "--flag <placeholder>". */
  placeholder?: string;
  /** A resumed run may change it (`gantry train --resume DIR --epochs 20`); every other option is fixed. */
  resumable?: true;
  /** The run records it itself (no flag sets it). */
  recorded?: true;
  /** A time in minutes: the flag also takes 90s, 30m, 2h. */
  minutes?: true;
}

export type OptionRule =
  | { kind: 'int' | 'float'; min: number; max: number; nullable: boolean }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'bool' }
  | { kind: 'text'; nullable: true }
  | { kind: 'list'; choices: readonly string[] };

export type Option<T> = Described<T> & OptionRule;
type Extra = Omit<Described<unknown>, 'default' | 'help'>;

const num =
  (kind: 'int' | 'float') =>
  (def: number, min: number, max: number, help: string, extra: Extra = {}): Option<number> => ({
    kind,
    default: def,
    min,
    max,
    nullable: false,
    help,
    ...extra,
  });
const nullableNum =
  (kind: 'int' | 'float') =>
  (def: number | null, min: number, max: number, help: string, extra: Extra = {}): Option<number | null> => ({
    kind,
    default: def,
    min,
    max,
    nullable: true,
    help,
    ...extra,
  });
const int = num('int');
const float = num('float');
const nullableInt = nullableNum('int');
const nullableFloat = nullableNum('float');
function choice<const C extends readonly string[]>(
  choices: C,
  def: C[number],
  help: string,
  extra: Extra = {},
): Option<C[number]> {
  return { kind: 'choice', choices, default: def, help, ...extra };
}
const bool = (def: boolean, help: string, extra: Extra = {}): Option<boolean> => ({
  kind: 'bool',
  default: def,
  help,
  ...extra,
});
const text = (help: string, extra: Extra = {}): Option<string | null> => ({
  kind: 'text',
  nullable: true,
  default: null,
  help,
  ...extra,
});
const list = (choices: readonly string[], help: string, fallback = 'none'): Option<string> => ({
  kind: 'list',
  choices,
  default: fallback,
  help,
});

/**
 * Named starting points (`--preset`): each is a small delta from the reference DCGAN's defaults (OPTIONS below);
 * any flag overrides a preset's value. `fields` gets the image size, for options that depend on it. A new preset is
 * one entry here.
 */
export interface Preset {
  /** One line for --dry-run and the docs. */
  summary: string;
  fields: (imageSize: number) => Partial<TrainConfig>;
}

/** How the stylegan2 preset trains (and the hybrid preset, which keeps its D): the fields after the networks. */
const STYLEGAN2_TRAINING = {
  loss: 'bce',
  lr: 2e-3,
  beta1: 0,
  beta2: 0.99,
  r1Gamma: 0.05,
  r1Every: 16,
  ema: 0.998,
  adaKimg: 100,
  adaOps: 'geometric,brightness,contrast,hue,saturation',
  batchSize: 32,
} as const;

export const PRESETS: Record<string, Preset> = {
  dcgan: { summary: 'the reference DCGAN: BCE, Adam 2e-4 β (0.5, 0.999)', fields: () => ({}) },
  // Batch 32: at 64 it trailed the reference on Fashion-MNIST with two seeds; twice the steps in an epoch put it ahead on
  // both sets (docs/MODELS.md).
  lsgan: { summary: 'least-squares loss, batch 32', fields: () => ({ loss: 'lsgan', batchSize: 32 }) },
  // The Wasserstein presets take one D step per G step (the papers: 5): at the step budgets of docs/MODELS.md, 5
  // left G a fifth of the updates and both presets collapsed on MNIST (2–3 of 10 classes); with 1 and a larger rate
  // they beat the reference there.
  wgan: {
    summary: 'Wasserstein loss, weight clipping 0.01, RMSprop 2e-4, one D step per G step',
    fields: () => ({ loss: 'wgan', optimizer: 'rmsprop', lr: 2e-4, nCritic: 1, weightClip: 0.01 }),
  },
  'wgan-gp': {
    summary: 'Wasserstein loss, gradient penalty λ 10, Adam 2e-4 β (0.5, 0.9), one D step per G step',
    fields: () => ({ loss: 'wgan', gpWeight: 10, nCritic: 1, lr: 2e-4, beta1: 0.5, beta2: 0.9 }),
  },
  // Without spectral norm the hinge loss let the reference D win outright on MNIST (its loss at 0, G's samples noise).
  hinge: { summary: 'hinge loss, spectral norm in D', fields: () => ({ loss: 'hinge', spectralNorm: 'd' }) },
  // β1 = 0 (the SNGAN paper's) collapsed this narrow ResNet to one stroke on MNIST; 0.5 covers 9 of 10 digits.
  sngan: {
    summary: 'ResNet G and D, spectral norm in D, hinge loss, Adam 2e-4 β (0.5, 0.999)',
    fields: () => ({ architecture: 'resnet', spectralNorm: 'd', loss: 'hinge' }),
  },
  sagan: {
    summary: 'SNGAN plus self-attention at half the image size, spectral norm in G and D, TTUR (G 1e-4, D 4e-4)',
    fields: (imageSize) => ({
      architecture: 'resnet',
      spectralNorm: 'both',
      attention: imageSize / 2,
      loss: 'hinge',
      lr: 1e-4,
      dLr: 4e-4,
      beta1: 0,
      beta2: 0.9,
    }),
  },
  // With the reference D (BatchNorm, no spectral norm) G drew one picture per class on the emoji (~340 images a
  // class) from ~epoch 50 on; spectral norm alone, a minibatch-std feature or --cond-ramp only put it off by 30–70
  // epochs. Without BatchNorm in D it stayed varied (docs/MODELS.md).
  cgan: {
    summary:
      'class-conditional DCGAN: conditional BatchNorm in G, projection D with spectral norm and no BatchNorm (labelled data)',
    fields: () => ({ conditioning: 'projection', spectralNorm: 'd', dNorm: 'none' }),
  },
  fastgan: {
    summary:
      'lightweight G (skip-layer excitation) and a self-supervised D (FastGAN), hinge loss, DiffAugment, EMA 0.999',
    fields: () => ({
      architecture: 'lightweight',
      loss: 'hinge',
      spectralNorm: 'd',
      diffAugment: 'color,translation,cutout',
      ema: 0.999,
      batchSize: 16,
    }),
  },
  // Sized for a CPU hour (docs/MODELS.md): widths 16 at the image size (at most 128), a 2-layer mapping (the ADA
  // paper's for small sets), the reference's Adam β and lazy R1 (γ by its heuristic 0.0002·64²/32 ≈ 0.03, rounded
  // up for a small set). ADA is off: with it on, both emoji runs (all 3,428 and 1,000) drew dark backgrounds on
  // white-background data and ended far worse (1,000 emoji, 60 min: FID 206 against 118 without); `--ada` turns it
  // on, with p moving at most 1 per 100 k images (at 20 it reached 0.58 within 25 k images), and without the luma
  // flip: alone at p 0.3 it drew dark backgrounds on the emoji, the other colour ops did not.
  stylegan2: {
    summary:
      'StyleGAN2 G and residual D, logistic loss, lazy R1, Adam 2e-3 β (0, 0.99), EMA (--ada: ADA, kimg 100, no luma flip)',
    fields: () => ({ architecture: 'stylegan', ...STYLEGAN2_TRAINING, gWidth: 16, dWidth: 16 }),
  },
  // The StyleGAN2 D and training with the resnet G (docs/MODELS.md: the style-based G collapses on MNIST, this
  // pairing draws legible digits and garments at the tables' budgets).
  hybrid: {
    summary:
      'ResNet G (BatchNorm) judged by the StyleGAN2 D and trained as stylegan2: logistic loss, lazy R1, Adam 2e-3 β (0, 0.99), EMA',
    fields: () => ({ architecture: 'resnet', dArchitecture: 'stylegan', ...STYLEGAN2_TRAINING, dWidth: 16 }),
  },
  pix2pix: {
    summary:
      'image-to-image (the default with --task): U-Net G, PatchGAN D, BCE + 100·L1, batch 16, PSNR/SSIM each epoch',
    fields: () => ({ architecture: 'pix2pix', l1Weight: 100, batchSize: 16, evalEvery: 1, sampleGridSize: 16 }),
  },
};

// Annotated: the preset option's choices (OPTIONS) must not depend on the presets' field types (a type cycle).
export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);
/** The presets of GANs from latent noise (pix2pix is for --task). */
export const LATENT_PRESET_NAMES = PRESET_NAMES.filter((p) => p !== 'pix2pix');

/** Optimizers of both networks (src/train/adam.ts, rmsprop.ts). */
export const OPTIMIZERS = ['adam', 'rmsprop'] as const;
/** DiffAugment policies (Zhao et al. 2020), applied to real and fake images alike before D. */
export const AUGMENTATIONS = ['color', 'translation', 'cutout'] as const;
/** ADA's ops in pipeline order (src/train/ada.ts): geometric, then colour. */
export const ADA_OPS = [
  'xflip',
  'rotate90',
  'xint',
  'scale',
  'rotate',
  'aniso',
  'xfrac',
  'brightness',
  'contrast',
  'lumaflip',
  'hue',
  'saturation',
] as const;
export type AdaOp = (typeof ADA_OPS)[number];
/** The groups `--ada-ops` takes besides single ops (the reference's "bgc" is both). */
export const ADA_GROUPS: Record<string, readonly AdaOp[]> = {
  geometric: ADA_OPS.slice(0, ADA_OPS.indexOf('brightness')),
  colour: ADA_OPS.slice(ADA_OPS.indexOf('brightness')),
};
/** Feature extractors for evaluation during training: the data set's own, or a built-in classifier by name. */
export const EVAL_FEATURES = ['auto', ...new Set(Object.values(DATASETS).map((d) => d.features))] as const;
/** Image-to-image tasks (src/image2image/task.ts); 'none' trains a GAN from latent noise. */
export const TASKS = ['none', 'superres', 'colorize', 'inpaint', 'translate'] as const;
export type Task = (typeof TASKS)[number];
export const MASK_KINDS = ['rect', 'stroke', 'mixed'] as const;

/** The most epochs a run may ask for: what a run with --time-budget and no --epochs trains for. */
export const MAX_EPOCHS = 1e6;

/** Every option in the order `gantry train --help` lists them. */
export const OPTIONS = {
  // Data
  dataset: choice(DATASET_NAMES, 'mnist', 'named data set'),
  data: text('folder of images (or of IDX files) to train on', { placeholder: 'dir' }),
  split: choice(['train', 'test'], 'train', 'split of an IDX data set'),
  fit: choice(['crop', 'pad'], 'crop', 'image folders: center-crop or pad non-square images'),
  background: choice(['black', 'white'], 'black', 'image folders: colour under transparency and padding'),
  strict: bool(false, 'unreadable or non-image files in a folder are an error'),
  mirror: bool(false, 'add horizontally flipped copies of the images (doubles an epoch)'),
  limit: nullableInt(null, 1, 1e9, 'use only N images: the first N, or spread over the set (--subset)'),
  subset: choice(SUBSETS, 'first', '--limit: the first N images, or N spread evenly over the set (all its kinds)'),
  dataHash: text('hash of the training data (recorded by the run; a resumed run checks it)', { recorded: true }),
  // Networks
  architecture: choice(FAMILY_NAMES, 'dcgan', 'network family (src/networks/families.ts)'),
  dArchitecture: choice(
    D_FAMILY_CHOICES,
    'same',
    "D's network family when it is not G's (e.g. a resnet G judged by the stylegan D: --preset hybrid)",
  ),
  latentDim: int(100, 1, 4096, 'size of the latent vector z'),
  imageSize: int(28, 8, 1024, 'image height and width (image folders; named data sets: their own, or smaller)', {
    flag: 'resolution',
  }),
  channels: int(1, 1, 3, 'image folders: 1 (gray) or 3 (RGB)'),
  epochs: int(5, 1, MAX_EPOCHS, 'passes over the data (with --time-budget: until the budget is spent)', {
    resumable: true,
  }),
  batchSize: int(64, 2, 4096, 'images per step'),
  preset: choice(PRESET_NAMES, 'dcgan', 'named starting point (the options below override it)'),
  // Losses and optimisation
  loss: choice(LOSS_NAMES, 'bce', 'adversarial loss (src/losses.ts)'),
  lr: float(2e-4, 1e-8, 1, "learning rate (G's, and D's unless --d-lr)", { placeholder: 'rate' }),
  dLr: nullableFloat(null, 1e-8, 1, "D's learning rate (two time-scale update rule)", { placeholder: 'rate' }),
  optimizer: choice(OPTIMIZERS, 'adam', 'optimizer of both networks (RMSprop: ε and α 0.99)'),
  beta1: float(0.5, 0, 0.999999, 'Adam β1'),
  beta2: float(0.999, 0, 0.999999, 'Adam β2'),
  epsilon: float(1e-8, 1e-12, 1, "Adam/RMSprop ε (PyTorch's default)"),
  nCritic: int(1, 1, 100, 'D steps per G step (each on its own real batch)'),
  lrDecay: float(
    0,
    0,
    1,
    'decay both learning rates linearly to 0 over this last fraction of the run (of --epochs, or of --time-budget if sooner; 0: constant)',
    { resumable: true, placeholder: 'fraction' },
  ),
  // Regularisers
  weightClip: float(0, 0, 100, "clip D's weights to [-c, c] after each D step (WGAN; 0: off)"),
  gpWeight: float(0, 0, 1e4, 'gradient penalty weight λ on interpolates of real and fake (WGAN-GP; 0: off)'),
  r1Gamma: float(0, 0, 1e4, 'R1 penalty weight γ on real images (0: off)'),
  r1Every: int(16, 1, 1000, 'apply R1 every N D steps, scaled up to match (lazy regularisation)'),
  plWeight: float(
    0,
    0,
    1e4,
    'stylegan: path-length regularisation weight (the paper: 2; 0: off), lazy: every 4 G steps',
  ),
  labelSmoothing: float(0, 0, 0.5, 'one-sided label smoothing: real target 1 - s (BCE losses)'),
  instanceNoise: float(0, 0, 10, "σ of Gaussian noise on D's inputs, annealed linearly to 0 over the run (0: off)"),
  diffAugment: list(AUGMENTATIONS, 'DiffAugment policies: none or a comma list of color,translation,cutout'),
  ada: bool(false, 'adaptive discriminator augmentation (ADA): p rises while D overfits (E[sign D(real)] > target)'),
  augmentP: nullableFloat(null, 0, 1, 'ADA pipeline at this fixed probability (ablations); with --ada, p to start at', {
    placeholder: 'p',
  }),
  adaTarget: float(0.6, 0, 1, 'ADA: the target of E[sign(D(real))]'),
  adaOps: list(
    [...ADA_OPS, ...Object.keys(ADA_GROUPS)],
    'ADA: the ops, a comma list of geometric, colour or single ops (e.g. geometric,brightness,contrast)',
    'geometric,colour',
  ),
  // The paper's 500 thousand is 2% of a 25-million-image GPU run; a CPU hour sees 100–200 thousand images.
  adaKimg: float(20, 0.001, 1e6, 'ADA: thousands of images over which p can move by 1 (the paper: 500, for GPU runs)'),
  ema: float(0, 0, 0.999999, "EMA decay of G's weights for sampling and export (0: off)"),
  spectralNorm: choice(SPECTRAL_NORMS, 'none', 'spectral normalisation: none, in D, or in both'),
  dNorm: choice(D_NORMS, 'batch', "dcgan family: D's BatchNorm (the reference) or none (a Lipschitz or augmented D)"),
  attention: int(0, 0, 1024, 'feature-map side of a self-attention block in G and D (SAGAN; 0: none)'),
  minibatchStd: bool(false, 'minibatch standard deviation feature in D'),
  gWidth: int(8, 4, 512, "lightweight, stylegan: G's channels at the image size (doubling per halving, at most 8×)"),
  dWidth: int(
    16,
    4,
    512,
    "lightweight, stylegan: D's channels after its first layer (doubling per halving, at most 8×)",
  ),
  mappingLayers: int(2, 1, 16, 'stylegan family: dense layers of the mapping network z → w'),
  styleMixing: float(0.9, 0, 1, 'stylegan family: probability of style mixing in a training pass (0: off)'),
  init: choice(INITS, 'pytorch', 'weight initialisation'),
  conditioning: choice(CONDITIONINGS, 'none', 'class-conditional GAN (labelled data): D by projection or ACGAN head'),
  condRamp: float(
    0,
    0,
    1e6,
    'conditional runs: unconditional for this many thousand images, then the classes fade in over as many (0: off)',
  ),
  numClasses: int(0, 0, 10000, 'classes of the data (recorded by a conditional run)', { recorded: true }),
  // The run
  seed: int(0, 0, 2 ** 32 - 1, 'random seed: weight init, noise, data order and the fixed sample noise'),
  backend: choice(BACKENDS, 'auto', 'compute backend', { resumable: true }),
  syncBatchnorm: bool(false, 'data-parallel runs: BatchNorm uses the moments of the whole batch over all processes', {
    resumable: true,
  }),
  verifyEvery: int(0, 0, 1e9, "data-parallel runs: also compare the processes' weights every N steps (0: each epoch)", {
    resumable: true,
  }),
  logEvery: int(100, 1, 1e9, 'steps between loss lines (and the last step of each epoch)', { resumable: true }),
  checkpointEvery: int(0, 0, 1e9, 'steps between checkpoints (0: each epoch)', { resumable: true }),
  sampleGridSize: int(64, 1, 1024, 'images in each epoch grid (a square number)', { flag: 'grid-size' }),
  evalEvery: int(0, 0, 1e6, 'evaluate FID (KID, IS, modes) every N epochs, or every N minutes as 5m (0: never)', {
    resumable: true,
  }),
  evalMinutes: float(0, 0, 1e7, 'evaluate at the first epoch end after each N minutes of training (--eval-every 5m)', {
    resumable: true,
    minutes: true,
  }),
  timeBudget: float(0, 0, 1e7, 'stop cleanly after this much training: 90s, 30m, 2h (grid, evaluation, checkpoint)', {
    resumable: true,
    minutes: true,
    placeholder: 'time',
  }),
  evalCount: int(2000, 10, 1e6, 'generated images per evaluation during training (image-to-image: held-out images)', {
    resumable: true,
  }),
  evalFeatures: choice(
    EVAL_FEATURES,
    'auto',
    "classifier for --eval-every's features (auto: the data set's; image folders name one)",
    {
      resumable: true,
    },
  ),
  // Image-to-image
  task: choice(TASKS, 'none', 'image-to-image task (preset pix2pix): superres, colorize, inpaint or translate'),
  l1Weight: float(100, 0, 1e5, "weight of G's L1 loss to the truth (image-to-image; pix2pix's λ)"),
  featureMatching: float(0, 0, 1e5, "weight of the feature-matching loss on D's features (image-to-image; 0: off)"),
  srScale: int(4, 2, 8, 'super-resolution factor'),
  srBlur: float(0, 0, 8, 'super-resolution: blur σ before downscaling (pixels)'),
  srNoise: float(0, 0, 1, 'super-resolution: noise σ added to the low-resolution image (images in [-1, 1])'),
  masks: choice(MASK_KINDS, 'mixed', 'inpainting: rectangles, free-form strokes, or both'),
  source: text('translate: source images (a folder, or emoji-twitter / emoji-google)'),
  target: text('translate: target images, matched to the source by file name'),
};

/** A run's resolved options: what config.json and every checkpoint record. */
export type TrainConfig = { -readonly [K in keyof typeof OPTIONS]: (typeof OPTIONS)[K]['default'] };
export type OptionName = keyof TrainConfig;

/** The options a resumed run may change. */
export type ResumableOption = {
  [K in OptionName]: (typeof OPTIONS)[K] extends { resumable: true } ? K : never;
}[OptionName];

export const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];
export const optionOf = (name: OptionName): Option<unknown> => OPTIONS[name];

export const DEFAULT_CONFIG = Object.fromEntries(OPTION_NAMES.map((k) => [k, OPTIONS[k].default])) as TrainConfig;

export const RESUMABLE_OPTIONS = OPTION_NAMES.filter((k) => optionOf(k).resumable) as ResumableOption[];
