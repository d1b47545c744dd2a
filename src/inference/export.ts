/**
 * `gantry export`'s library side: a run's generator in a form any web page can load. Every family gets
 * gantry.json + generator.bin (the config and the weights, read by `gantry/web`'s `loadRun` with gantry's own
 * Node-free network code); a family whose layers map onto tfjs layers (the plain dcgan) also gets model.json +
 * weights.bin for `tf.loadLayersModel`.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseSavedConfig } from '../config.js';
import { UsageError } from '../errors.js';
import { CheckpointError, readCheckpoint } from '../io/checkpoint.js';
import { exportGenerator } from '../io/export.js';
import { writeFileAtomic } from '../io/files.js';
import { CHECKPOINT_FILE } from '../train/state.js';
import {
  type GeneratorManifest,
  generatorFromWeights,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  packGenerator,
} from './generator_weights.js';

export const MANIFEST_FILE = 'gantry.json';
export const WEIGHTS_FILE = 'generator.bin';

export interface ExportResult {
  files: string[];
  weights: 'ema' | 'raw';
  /** Whether model.json (tfjs layers format) was written too. */
  layers: boolean;
}

/** Writes the run's generator (the EMA weights where the run keeps them, unless `weights` says) to `outDir`. */
export async function exportRun(
  runDir: string,
  outDir: string,
  options: { weights?: 'ema' | 'raw' } = {},
): Promise<ExportResult> {
  const path = join(runDir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new CheckpointError(`${runDir} is not a gantry run folder (no ${CHECKPOINT_FILE})`);
  const { state, tensors } = readCheckpoint<{ config?: unknown }>(path);
  const config = parseSavedConfig(state.config, path);
  const hasEma = [...tensors.keys()].some((n) => n.startsWith('G_ema/'));
  const weights = options.weights ?? (hasEma ? 'ema' : 'raw');
  if (weights === 'ema' && !hasEma)
    throw new UsageError(`--weights ema: ${runDir} keeps no EMA of G (trained without --ema); use --weights raw`);
  const packed = packGenerator(tensors, weights === 'ema' ? 'G_ema/' : 'G/');
  const manifest: GeneratorManifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    config,
    weights,
    tensors: packed.tensors,
    data: WEIGHTS_FILE,
  };
  // Built here as a page will build it: a weight the network lacks fails now, not in the page.
  const generator = generatorFromWeights(manifest, packed.data);
  try {
    const bytes = new Uint8Array(packed.data.buffer, packed.data.byteOffset, packed.data.byteLength);
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1)
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).swap32(); // little-endian on disk
    // Weights first: a manifest never points at weights from another export.
    writeFileAtomic(join(outDir, WEIGHTS_FILE), bytes);
    writeFileAtomic(join(outDir, MANIFEST_FILE), `${JSON.stringify(manifest)}\n`);
    const files = [join(outDir, MANIFEST_FILE), join(outDir, WEIGHTS_FILE)];
    const layers = generator.layers != null;
    if (layers) {
      await exportGenerator(generator, outDir, {
        architecture: config.architecture,
        latentDim: config.latentDim,
        imageSize: config.imageSize,
        channels: config.channels,
        weights,
      });
      files.push(join(outDir, 'model.json'), join(outDir, 'weights.bin'));
    }
    return { files, weights, layers };
  } finally {
    generator.store.dispose();
  }
}
