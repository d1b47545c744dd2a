/**
 * A run's generator as a page loads it: a manifest (the run's config and where each variable lies) and one flat
 * little-endian float32 buffer. `gantry export` writes them as gantry.json + generator.bin, the studio serves them
 * from a run's checkpoint; `gantry/web` and the studio's pages build G from them with gantry's own network code.
 * Node-free.
 */
import * as tf from '@tensorflow/tfjs';
import { networkSpec, parseSavedConfig, type TrainConfig } from '../config.js';
import { FAMILIES } from '../networks/families.js';
import type { Network } from '../networks/network.js';

export const MANIFEST_FORMAT = 'gantry-generator';
export const MANIFEST_VERSION = 1;

export interface GeneratorTensor {
  name: string;
  shape: number[];
  /** Offset in float32 elements into the weights buffer. */
  offset: number;
}

export interface GeneratorManifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  config: TrainConfig;
  /** The moving average of G's weights, or the raw ones. */
  weights: 'ema' | 'raw';
  tensors: GeneratorTensor[];
  /** The weights buffer's URL, relative to the manifest's. */
  data: string;
}

/**
 * The tensors under `prefix` ('G/' or 'G_ema/'), minus optimizer slots ("adam.m/<name>" where "<name>" is a tensor
 * too), packed into one buffer.
 */
export function packGenerator(
  stored: Map<string, { shape: number[]; data: Float32Array }>,
  prefix: string,
): { tensors: GeneratorTensor[]; data: Float32Array } {
  const names = [...stored.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
  const all = new Set(names);
  const isSlot = (name: string) => {
    const cut = name.indexOf('/');
    return cut > 0 && name.slice(0, cut).includes('.') && all.has(name.slice(cut + 1));
  };
  const kept = names.filter((n) => !isSlot(n));
  const tensors: GeneratorTensor[] = [];
  let total = 0;
  for (const name of kept) {
    tensors.push({ name, shape: stored.get(prefix + name)!.shape, offset: total });
    total += stored.get(prefix + name)!.data.length;
  }
  const data = new Float32Array(total);
  kept.forEach((name, i) => data.set(stored.get(prefix + name)!.data, tensors[i].offset));
  return { tensors, data };
}

/** Checks a parsed manifest (from a file or a server) and returns it typed; an Error saying what is wrong. */
export function parseManifest(json: unknown, where: string): GeneratorManifest {
  const m = json as Partial<GeneratorManifest> | null;
  if (m == null || typeof m !== 'object' || m.format !== MANIFEST_FORMAT)
    throw new Error(`${where}: not a gantry generator manifest (no "format": "${MANIFEST_FORMAT}")`);
  if (m.version !== MANIFEST_VERSION)
    throw new Error(`${where}: manifest version ${m.version} (this gantry reads ${MANIFEST_VERSION})`);
  if (!Array.isArray(m.tensors) || typeof m.data !== 'string' || (m.weights !== 'ema' && m.weights !== 'raw'))
    throw new Error(`${where}: the manifest lacks tensors, data or weights`);
  return { ...m, config: parseSavedConfig(m.config, where) } as GeneratorManifest;
}

/** G built from the manifest's config with gantry's network code, its variables filled from `data`. */
export function generatorFromWeights(manifest: GeneratorManifest, data: Float32Array): Network {
  const { config } = manifest;
  const family = FAMILIES[config.architecture];
  if (family == null) throw new Error(`unknown architecture '${config.architecture}'`);
  const net = family.generator(networkSpec(config), 0);
  const tensors = new Map(manifest.tensors.map((t) => [t.name, t]));
  try {
    for (const [name, variable] of net.store.all()) {
      const t = tensors.get(name);
      if (t == null) throw new Error(`the generator's weights lack '${name}'`);
      if (t.shape.join() !== variable.shape.join())
        throw new Error(`'${name}': expected shape [${variable.shape}], the run has [${t.shape}]`);
      const size = t.shape.reduce((a, b) => a * b, 1);
      if (t.offset + size > data.length) throw new Error(`'${name}' lies past the end of the weights`);
      const value = tf.tensor(data.slice(t.offset, t.offset + size), t.shape, variable.dtype);
      variable.assign(value);
      value.dispose();
    }
  } catch (err) {
    net.store.dispose();
    throw err;
  }
  return net;
}
