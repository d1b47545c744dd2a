/**
 * Feature extractors: a TensorFlow.js layers model, the layer whose output is the feature vector, and the
 * input size and scaling it expects. Built in: gantry's classifiers for MNIST, Fashion-MNIST and the emoji sets
 * (shipped in models/classifiers/, no network). Plug-in: any layers model folder (e.g. a converted InceptionV3 with
 * its 2048-d pool layer) with --features, --feature-layer, --input-size and --input-scale.
 *
 * Images go in as bytes; they are converted to the model's channels (RGB→gray by the mean of the three, gray→RGB
 * by repetition), resized with bilinear interpolation (half-pixel centres) when sizes differ, then scaled.
 */

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../data/errors.js';
import { DATASETS, isDatasetName } from '../data/registry.js';
import { fileModelLoader } from '../io/export.js';
import { FEATURE_LAYER } from './classifier.js';

export const INPUT_SCALES = ['-1,1', '0,1', '0,255'] as const;
export type InputScale = (typeof INPUT_SCALES)[number];

export interface Extracted {
  features: Float32Array;
  probs: Float32Array | null;
  count: number;
  /** The side of the images the features came from, where known (real features: part of the protocol). */
  size?: number;
}

export interface FeatureExtractor {
  /** Identifies model weights, layer, size and scale: part of every cache key and of the reported protocol. */
  id: string;
  description: string;
  inputSize: number;
  inputChannels: number;
  featureDim: number;
  classes: number | null;
  extract(images: Uint8Array, count: number, height: number, width: number, channels: number): Extracted;
  /**
   * Features of float images in [−1, 1] already at the input size and channels, differentiably (projection's
   * feature distance); [N, featureDim].
   */
  features?(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** models/ of the installed package (this file is dist/src/metrics/extractor.js). */
export function modelsDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'models');
}

export const BUILTIN_EXTRACTORS = ['mnist', 'fashion-mnist', 'emoji'] as const;
export type BuiltinExtractorName = (typeof BUILTIN_EXTRACTORS)[number];

const isBuiltin = (name: string): name is BuiltinExtractorName =>
  (BUILTIN_EXTRACTORS as readonly string[]).includes(name);

/** The built-in classifier for a data set (its descriptor's) or classifier name; a DataError for names it does not know. */
export function builtinExtractorName(dataset: string): BuiltinExtractorName {
  const name = isDatasetName(dataset) ? DATASETS[dataset].features : dataset;
  if (!isBuiltin(name))
    throw new DataError(`no built-in feature extractor for '${dataset}' (built in: ${BUILTIN_EXTRACTORS.join(', ')})`);
  return name;
}

async function load(
  dir: string,
  layer: string,
  scale: InputScale,
  probabilities: string | null,
  label: string,
): Promise<FeatureExtractor> {
  if (!existsSync(join(dir, 'model.json'))) throw new DataError(`${dir} holds no TensorFlow.js model (model.json)`);
  const model = await tf.loadLayersModel(fileModelLoader(dir));
  let featureOutput: tf.SymbolicTensor;
  try {
    featureOutput = model.getLayer(layer).output as tf.SymbolicTensor;
  } catch {
    model.dispose();
    throw new DataError(`${dir}: no layer '${layer}' (layers: ${model.layers.map((l) => l.name).join(', ')})`);
  }
  const outputs = probabilities
    ? [featureOutput, model.getLayer(probabilities).output as tf.SymbolicTensor]
    : [featureOutput];
  const head = tf.model({ inputs: model.inputs, outputs });
  const [, inputSize, , inputChannels] = model.inputs[0].shape as number[];
  const featureDim = (featureOutput.shape as number[]).slice(1).reduce((a, b) => a * b, 1);
  const classes = probabilities
    ? ((model.getLayer(probabilities).output as tf.SymbolicTensor).shape[1] as number)
    : null;
  const weights = createHash('sha256')
    .update(readFileSync(join(dir, 'weights.bin')))
    .digest('hex')
    .slice(0, 12);
  const [low, high] = scale.split(',').map(Number);
  return {
    id: `${label}:${layer}@${weights}/${inputSize}px/${scale}`,
    description: `${label}, layer '${layer}' (${featureDim}-d), input ${inputSize}×${inputSize}×${inputChannels} scaled to [${low}, ${high}], bilinear resize`,
    inputSize,
    inputChannels,
    featureDim,
    classes,
    extract(images, count, height, width, channels) {
      const features = new Float32Array(count * featureDim);
      const probs = classes ? new Float32Array(count * classes) : null;
      const size = height * width * channels;
      for (let start = 0; start < count; start += 500) {
        const end = Math.min(count, start + 500);
        const outs = tf.tidy(() => {
          let x: tf.Tensor4D = tf
            .tensor4d(images.subarray(start * size, end * size), [end - start, height, width, channels], 'int32')
            .toFloat();
          if (channels === 3 && inputChannels === 1) x = tf.mean(x, 3, true);
          else if (channels === 1 && inputChannels === 3) x = tf.tile(x, [1, 1, 1, 3]);
          if (height !== inputSize || width !== inputSize)
            x = tf.image.resizeBilinear(x, [inputSize, inputSize], false, true);
          x = tf.add(tf.mul(x, (high - low) / 255), low);
          const result = head.predict(x);
          return (Array.isArray(result) ? result : [result]).map((t) => tf.reshape(t, [end - start, -1]));
        });
        features.set(outs[0].dataSync(), start * featureDim);
        if (probs) probs.set(outs[1].dataSync(), start * classes!);
        tf.dispose(outs);
      }
      return { features, probs, count };
    },
    features(x) {
      return tf.tidy(() => {
        const scaled = tf.add(tf.mul(tf.add(x, 1), (high - low) / 2), low);
        const result = head.apply(scaled) as tf.Tensor | tf.Tensor[];
        const first = Array.isArray(result) ? result[0] : result;
        return tf.reshape(first, [x.shape[0], -1]) as tf.Tensor2D;
      });
    },
    dispose() {
      model.dispose();
    },
  };
}

/** gantry's classifier for a data set ('mnist' serves mnist and mnist-full, 'emoji' both emoji styles), or by its name. */
export async function builtinExtractor(dataset: string): Promise<FeatureExtractor> {
  const name = builtinExtractorName(dataset);
  return load(
    join(modelsDir(), 'classifiers', name),
    FEATURE_LAYER,
    '-1,1',
    'probabilities',
    `gantry-classifier-${name}`,
  );
}

/** Any layers model as an extractor. */
export async function pluginExtractor(dir: string, layer: string, scale: InputScale): Promise<FeatureExtractor> {
  return load(dir, layer, scale, null, `plugin ${dir}`);
}
