/**
 * Resolving a run's config: defaults (options.ts), then a preset (presets.ts), then the flags, with every key and
 * value checked (`resolveConfig` rejects unknown keys and out-of-range values) and the combinations checked
 * against the family and data set descriptors. The resolved config is saved in every run folder and checkpoint,
 * so a run can be rebuilt from it alone. Node-free: the studio's checkpoint reader and page use it too.
 */
import { DATASETS, isDatasetName } from './data/registry.js';
import { UserError } from './errors.js';
import { FAMILIES, type FamilyName } from './networks/families.js';
import type { NetworkSpec } from './networks/network.js';
import {
  DEFAULT_CONFIG,
  OPTIONS,
  type OptionName,
  type OptionRule,
  PRESETS,
  type Task,
  type TrainConfig,
} from './options.js';

export type { Task, TrainConfig } from './options.js';

/** A configuration error a user can fix; `key` is the offending field. */
export class ConfigError extends UserError {
  constructor(
    readonly key: string,
    message: string,
  ) {
    super(message);
  }
}

/** Checks one value against its field's rule and returns it typed; throws ConfigError. */
export function checkField(key: string, value: unknown): unknown {
  if (!Object.hasOwn(OPTIONS, key))
    throw new ConfigError(key, `unknown config key '${key}' (valid: ${Object.keys(OPTIONS).join(', ')})`);
  const rule: OptionRule = OPTIONS[key as OptionName];
  if (rule.kind === 'choice') {
    if (typeof value !== 'string' || !rule.choices.includes(value)) {
      throw new ConfigError(key, `${key} must be one of ${rule.choices.join(', ')}, got ${JSON.stringify(value)}`);
    }
    return value;
  }
  if (rule.kind === 'list') {
    const items = typeof value === 'string' ? value.split(',').map((v) => v.trim()) : [];
    if (
      typeof value !== 'string' ||
      (value !== 'none' && (items.some((v) => !rule.choices.includes(v)) || new Set(items).size !== items.length))
    ) {
      throw new ConfigError(
        key,
        `${key} must be none or a comma list of ${rule.choices.join(', ')}, got ${JSON.stringify(value)}`,
      );
    }
    return value === 'none' ? value : items.join(',');
  }
  if (rule.kind === 'bool') {
    if (typeof value !== 'boolean')
      throw new ConfigError(key, `${key} must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }
  if (value === null && rule.nullable) return null;
  if (rule.kind === 'text') {
    if (typeof value !== 'string' || value === '')
      throw new ConfigError(key, `${key} must be a non-empty string, got ${JSON.stringify(value)}`);
    return value;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ConfigError(key, `${key} must be a number, got ${JSON.stringify(value)}`);
  }
  if (rule.kind === 'int' && !Number.isInteger(value))
    throw new ConfigError(key, `${key} must be an integer, got ${value}`);
  if (value < rule.min || value > rule.max) {
    throw new ConfigError(key, `${key} must be between ${rule.min} and ${rule.max}, got ${value}`);
  }
  return value;
}

/** Defaults, then the preset's fields (`overrides.preset`), then `overrides`; every key and value is checked. */
export function resolveConfig(overrides: Record<string, unknown> = {}): TrainConfig {
  const task = checkField('task', overrides.task ?? DEFAULT_CONFIG.task) as Task;
  const preset = checkField(
    'preset',
    overrides.preset ?? (task === 'none' ? DEFAULT_CONFIG.preset : 'pix2pix'),
  ) as string;
  // A translation between named sets records its target as the data set.
  const target = isDatasetName(overrides.target) ? overrides.target : undefined;
  const dataset = checkField(
    'dataset',
    overrides.dataset ?? target ?? DEFAULT_CONFIG.dataset,
  ) as TrainConfig['dataset'];
  // Named data sets set their shape (image folders keep the flags' or the defaults'); so does a named --source.
  const named = DATASETS[isDatasetName(overrides.source) ? overrides.source : dataset];
  const shape = overrides.data == null ? { imageSize: named.imageSize, channels: named.channels } : undefined;
  const imageSize = checkField(
    'imageSize',
    overrides.imageSize ?? shape?.imageSize ?? DEFAULT_CONFIG.imageSize,
  ) as number;
  const config: Record<string, unknown> = {
    ...DEFAULT_CONFIG,
    ...shape,
    ...PRESETS[preset].fields(imageSize),
    preset,
    dataset,
  };
  for (const [key, value] of Object.entries(overrides)) config[key] = checkField(key, value);
  const c = config as unknown as TrainConfig;
  checkTask(c);
  if (c.channels !== 1 && c.channels !== 3)
    throw new ConfigError('channels', `channels must be 1 or 3, got ${c.channels}`);
  // G's family, and D's when --d-architecture names another: each must make this size and take the options set.
  const families: [FamilyName, string, OptionName][] = [[c.architecture, 'architecture', 'imageSize']];
  if (c.dArchitecture !== 'same') families.push([c.dArchitecture, 'D (--d-architecture)', 'dArchitecture']);
  for (const [name, what, key] of families) {
    const { sizes } = FAMILIES[name];
    if (!sizes.includes(c.imageSize))
      throw new ConfigError(
        key,
        `the ${name} ${what} makes ${sizes.join(', ')} pixel images, not ${c.imageSize} (--resolution)`,
      );
    for (const [option, lacks] of Object.entries(FAMILIES[name].unsupported ?? {}) as [OptionName, string][])
      if (c[option] !== DEFAULT_CONFIG[option]) throw new ConfigError(option, `the ${name} ${what} has no ${lacks}`);
  }
  if (c.attention !== 0 && c.attention !== c.imageSize / 2 && c.attention !== c.imageSize / 4) {
    throw new ConfigError(
      'attention',
      `attention must be 0 or a feature-map side of the networks: ${c.imageSize / 2} or ${c.imageSize / 4} at ${c.imageSize}×${c.imageSize}, got ${c.attention}`,
    );
  }
  if (c.plWeight > 0 && !FAMILIES[c.architecture].styleBased)
    throw new ConfigError(
      'plWeight',
      `--pl-weight needs a style-based G (--architecture stylegan), not ${c.architecture}`,
    );
  if (c.condRamp > 0 && c.conditioning !== 'projection')
    throw new ConfigError(
      'condRamp',
      `--cond-ramp fades in a projection D's classes (--conditioning projection or --preset cgan), not --conditioning ${c.conditioning}`,
    );
  if (c.adaOps === 'none' && (c.ada || c.augmentP != null))
    throw new ConfigError(
      'adaOps',
      '--ada-ops none leaves ADA nothing to do: name some ops, or drop --ada/--augment-p',
    );
  const side = Math.round(Math.sqrt(c.sampleGridSize));
  if (side * side !== c.sampleGridSize)
    throw new ConfigError('sampleGridSize', `sampleGridSize must be a square number, got ${c.sampleGridSize}`);
  return c;
}

/** Image-to-image runs need the pix2pix family and none of the latent GAN's options, and the other way round. */
function checkTask(c: TrainConfig): void {
  const family = FAMILIES[c.architecture];
  if (c.task === 'none') {
    if (family.input === 'image')
      throw new ConfigError(
        'task',
        `the ${c.architecture} architecture needs a --task (superres, colorize, inpaint or translate)`,
      );
    return;
  }
  if (family.input !== 'image') {
    const images = Object.entries(FAMILIES).flatMap(([name, f]) => (f.input === 'image' ? [name] : []));
    throw new ConfigError(
      'architecture',
      `--task ${c.task} trains the ${images.join(' or ')} architecture, not ${c.architecture}`,
    );
  }
  if (c.conditioning !== 'none') throw new ConfigError('conditioning', `--task ${c.task} cannot be class-conditional`);
  if (c.dArchitecture !== 'same')
    throw new ConfigError('dArchitecture', `--task ${c.task} trains the ${c.architecture} D, not --d-architecture`);
  if (c.ema > 0) throw new ConfigError('ema', `--ema is for GANs from latent noise, not --task ${c.task}`);
  if (c.ada || c.augmentP != null)
    throw new ConfigError(
      c.ada ? 'ada' : 'augmentP',
      `--ada and --augment-p are for GANs from latent noise, not --task ${c.task}`,
    );
  if (c.channels !== 3 && (c.task === 'colorize' || c.task === 'translate'))
    throw new ConfigError('channels', `--task ${c.task} needs colour images (--channels 3)`);
  if (c.task === 'superres' && c.imageSize % c.srScale !== 0)
    throw new ConfigError('srScale', `--sr-scale ${c.srScale} must divide the image size ${c.imageSize}`);
  if ((c.source == null) !== (c.target == null) && c.task === 'translate')
    throw new ConfigError(
      c.source == null ? 'source' : 'target',
      '--task translate takes --source and --target together',
    );
  if (c.task !== 'translate' && (c.source != null || c.target != null))
    throw new ConfigError(
      c.source != null ? 'source' : 'target',
      `--source and --target are for --task translate, not ${c.task}`,
    );
}

/**
 * Parses a saved config (config.json or a checkpoint's), rejecting unknown keys. Keys a run from an older
 * gantry lacks take their defaults, which every option added later chooses to mean the old behaviour.
 */
export function parseSavedConfig(raw: unknown, where: string): TrainConfig {
  if (raw == null || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError('config', `${where}: config is not an object`);
  // Runs from before --ada-ops used every op (the stylegan2 preset now leaves out the luma flip).
  const saved = { adaOps: DEFAULT_CONFIG.adaOps, ...(raw as Record<string, unknown>) };
  try {
    return resolveConfig(saved);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.key, `${where}: ${err.message}`);
    throw err;
  }
}

/** The family whose D a run trains: G's own, or the one `--d-architecture` names. */
export const discriminatorFamily = (config: TrainConfig): FamilyName =>
  config.dArchitecture === 'same' ? config.architecture : config.dArchitecture;

/** Classes a run's networks are conditioned on: 0 for an unconditional run. */
export const classCount = (config: TrainConfig): number => (config.conditioning === 'none' ? 0 : config.numClasses);

/** Channels of G's input image for an image-to-image task on images of `channels` channels. */
export function taskInputChannels(task: Exclude<Task, 'none'>, channels: number): number {
  switch (task) {
    case 'superres':
      return channels;
    case 'colorize':
      return 1;
    case 'inpaint':
      return channels + 1;
    case 'translate':
      return channels;
  }
}

/** The network spec of a run's config: what the families build from. */
export function networkSpec(config: TrainConfig): NetworkSpec {
  return {
    latentDim: config.latentDim,
    imageSize: config.imageSize,
    channels: config.channels,
    numClasses: classCount(config),
    conditioning: config.conditioning,
    spectralNorm: config.spectralNorm,
    attention: config.attention,
    minibatchStd: config.minibatchStd,
    init: config.init,
    gWidth: config.gWidth,
    dWidth: config.dWidth,
    dNorm: config.dNorm,
    mappingLayers: config.mappingLayers,
    styleMixing: config.styleMixing,
    ...(config.condRamp > 0 ? { labelRamp: true } : {}),
    ...(config.task === 'none' ? {} : { conditionChannels: taskInputChannels(config.task, config.channels) }),
  };
}
