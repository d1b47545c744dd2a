/**
 * A GAN under training: both networks and their optimizers, built from a config, and their complete state
 * as named tensors (what a checkpoint stores) so a run can stop and continue exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { classCount, discriminatorFamily, networkSpec, type TrainConfig } from '../config.js';
import type { StoredTensor } from '../io/checkpoint.js';
import { ganLoss } from '../losses.js';
import { FAMILIES } from '../networks/families.js';
import type { Network } from '../networks/network.js';
import { deriveSeed } from '../util/random.js';
import { Adam } from './adam.js';
import { copyWeights, standingStatistics } from './ema.js';
import { Rmsprop } from './rmsprop.js';
import type { GanLosses, GanModels } from './step.js';

type Optimizer = Adam | Rmsprop;

export interface Gan extends GanModels {
  gOptimizer: Optimizer;
  dOptimizer: Optimizer;
  losses: GanLosses;
  /** The moving average of G's weights, when `config.ema` > 0. */
  generatorEma: Network | null;
}

/** G as a run builds it (its initial weights follow from the config's seed). */
export function buildGenerator(config: TrainConfig): Network {
  return FAMILIES[config.architecture].generator(networkSpec(config), deriveSeed(config.seed, 'init-G'));
}

function optimizer(config: TrainConfig, lr: number): Optimizer {
  return config.optimizer === 'rmsprop'
    ? new Rmsprop({ lr, epsilon: config.epsilon })
    : new Adam({ lr, beta1: config.beta1, beta2: config.beta2, epsilon: config.epsilon });
}

export function createGan(config: TrainConfig): Gan {
  const generator = buildGenerator(config);
  let generatorEma: Network | null = null;
  if (config.ema > 0) {
    generatorEma = buildGenerator(config);
    copyWeights(generatorEma, generator);
  }
  return {
    generator,
    discriminator: FAMILIES[discriminatorFamily(config)].discriminator(
      networkSpec(config),
      deriveSeed(config.seed, 'init-D'),
    ),
    gOptimizer: optimizer(config, config.lr),
    dOptimizer: optimizer(config, config.dLr ?? config.lr),
    losses: ganLoss(config.loss, config.labelSmoothing),
    generatorEma,
  };
}

/**
 * Measures the EMA generator's own BatchNorm statistics (its averaged weights with G's running statistics would
 * sample badly); `label` seeds the noise. Nothing to do without EMA.
 */
export function refreshEmaStatistics(gan: Gan, config: TrainConfig, label: string): void {
  if (gan.generatorEma != null)
    standingStatistics(gan.generatorEma, config.latentDim, classCount(config), deriveSeed(config.seed, label));
}

/** The generator that samples and is exported: the EMA one when the run keeps it. */
export const samplingGenerator = (gan: Gan): Network => gan.generatorEma ?? gan.generator;

export function disposeGan(gan: Gan): void {
  gan.generator.store.dispose();
  gan.generatorEma?.store.dispose();
  gan.discriminator.store.dispose();
  gan.gOptimizer.dispose();
  gan.dOptimizer.dispose();
}

/** Every variable of a network and its optimizer, by checkpoint name ("G/dense/kernel", "G/adam.m/..."). */
function networkVariables(prefix: string, net: Network, optimizer: Optimizer): Map<string, tf.Variable> {
  const out = new Map<string, tf.Variable>();
  for (const [name, v] of net.store.all()) out.set(`${prefix}/${name}`, v);
  const params = [...net.store.params];
  const slots = optimizer.slotNames;
  const state = optimizer.state(params.map(([, v]) => v));
  params.forEach(([name], i) =>
    slots.forEach((slot, j) => out.set(`${prefix}/${slot}/${name}`, state[slots.length * i + j])),
  );
  return out;
}

export function ganVariables(gan: Gan): Map<string, tf.Variable> {
  const ema = gan.generatorEma
    ? [...gan.generatorEma.store.all()].map(([name, v]) => [`G_ema/${name}`, v] as const)
    : [];
  return new Map([
    ...networkVariables('G', gan.generator, gan.gOptimizer),
    ...networkVariables('D', gan.discriminator, gan.dOptimizer),
    ...ema,
  ]);
}

export function readVariables(variables: Map<string, tf.Variable>): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const [name, v] of variables) out.set(name, { shape: v.shape, data: v.dataSync() as Float32Array });
  return out;
}

/** Assigns stored values to variables; every variable must be present with its shape. */
export function assignVariables(
  variables: Map<string, tf.Variable>,
  stored: Map<string, StoredTensor>,
  where: string,
): void {
  for (const [name, v] of variables) {
    const t = stored.get(name);
    if (t == null) throw new Error(`${where}: missing tensor ${name}`);
    if (t.shape.join(',') !== v.shape.join(','))
      throw new Error(`${where}: ${name} has shape [${t.shape}], expected [${v.shape}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
}
