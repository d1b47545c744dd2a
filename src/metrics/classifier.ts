/**
 * gantry's own small classifiers, the feature extractors for its bundled and installable data sets (no
 * pretrained Inception can be downloaded here). Input 28×28×1 in [−1, 1]; the 128-d `features` layer feeds
 * FID, KID and precision/recall, the softmax feeds the Inception-style score and mode coverage.
 */
import * as tf from '@tensorflow/tfjs';

export const FEATURE_LAYER = 'features';

/** conv(3×3) → BatchNorm → ReLU blocks, max-pooled from 28 to 3 px, then the 128-d feature layer. */
export function buildClassifier(classes: number, seed: number): tf.Sequential {
  const init = (i: number) => tf.initializers.heNormal({ seed: seed * 16 + i });
  const model = tf.sequential({ name: 'classifier' });
  const block = (filters: number, i: number, inputShape?: number[]) => {
    model.add(tf.layers.conv2d({ inputShape, filters, kernelSize: 3, padding: 'same', useBias: false, kernelInitializer: init(i) }));
    model.add(tf.layers.batchNormalization({ momentum: 0.9 }));
    model.add(tf.layers.reLU());
    model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  };
  block(32, 0, [28, 28, 1]);
  block(64, 1);
  block(128, 2);
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 128, activation: 'relu', name: FEATURE_LAYER, kernelInitializer: init(3) }));
  model.add(tf.layers.dropout({ rate: 0.4, seed }));
  model.add(tf.layers.dense({ units: classes, activation: 'softmax', name: 'probabilities', kernelInitializer: init(4) }));
  return model;
}
