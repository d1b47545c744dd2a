/**
 * The generator in TensorFlow.js layers format (model.json + weights.bin), loadable with
 * `tf.loadLayersModel` in a browser (over HTTP) and in Node (with `fileModelLoader`, or over HTTP).
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { Network } from '../networks/network.js';
import { writeFileAtomic } from './files.js';

export interface ExportMetadata {
  latentDim: number;
  architecture: string;
  [key: string]: unknown;
}

export async function exportGenerator(generator: Network, dir: string, metadata: ExportMetadata): Promise<void> {
  if (generator.layers == null) throw new Error('this generator has no layers-model form to export');
  const model = generator.layers();
  try {
    await saveLayersModel(model, dir, metadata);
  } finally {
    model.dispose();
  }
}

/** Writes a layers model as model.json + weights.bin (the tfjs format), with gantry metadata. */
export async function saveLayersModel(
  model: tf.LayersModel,
  dir: string,
  metadata: Record<string, unknown>,
): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights =
        artifacts.weightData instanceof ArrayBuffer
          ? new Uint8Array(artifacts.weightData)
          : new Uint8Array(tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer[]));
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
        convertedBy: null,
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
        userDefinedMetadata: { gantry: metadata },
      };
      // Weights first: a model.json never points at weights from another export.
      writeFileAtomic(join(dir, 'weights.bin'), weights);
      writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

/** An IOHandler reading an exported model folder from disk, for `tf.loadLayersModel` in Node. */
export function fileModelLoader(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
      const manifest = json.weightsManifest as tf.io.WeightsManifestConfig;
      const buffers = manifest.flatMap((group) => group.paths.map((p) => readFileSync(join(dir, p))));
      const weightData = tf.io.concatenateArrayBuffers(
        buffers.map((b) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)),
      );
      return {
        modelTopology: json.modelTopology,
        weightSpecs: manifest.flatMap((group) => group.weights),
        weightData,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        userDefinedMetadata: json.userDefinedMetadata,
      };
    },
  };
}
