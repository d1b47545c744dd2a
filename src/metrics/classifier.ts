/**
 * gantry's own small classifiers, the feature extractors for its bundled and installable data sets (no
 * pretrained Inception can be downloaded here). The 128-d `features` layer feeds FID, KID and precision/recall,
 * the softmax (`probabilities`) feeds the Inception-style score and mode coverage.
 *   buildClassifier     28×28×1 in [−1, 1]: MNIST, Fashion-MNIST
 *   buildRgbClassifier  64×64×3 in [−1, 1]: the emoji sets
 */
import * as tf from '@tensorflow/tfjs';

export const FEATURE_LAYER = 'features';

/** conv(3×3) → BatchNorm → ReLU blocks, max-pooled from 28 to 3 px, then the 128-d feature layer. */
export function buildClassifier(classes: number, seed: number): tf.Sequential {
  const init = (i: number) => tf.initializers.heNormal({ seed: seed * 16 + i });
  const model = tf.sequential({ name: 'classifier' });
  const block = (filters: number, i: number, inputShape?: number[]) => {
    model.add(
      tf.layers.conv2d({
        inputShape,
        filters,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
        kernelInitializer: init(i),
      }),
    );
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
  model.add(
    tf.layers.dense({ units: classes, activation: 'softmax', name: 'probabilities', kernelInitializer: init(4) }),
  );
  return model;
}

/**
 * 64×64×3: conv(3×3) → BatchNorm → ReLU blocks, stride 2 from 64 to 4 px (one extra block at 16 px), then the
 * flattened 4×4×64 map (spatial layout kept) into the 128-d feature layer. About 340k weights.
 * No dropout: tfjs's seeded dropout draws the same mask for every batch, and an unseeded one is not reproducible.
 */
export function buildRgbClassifier(classes: number, seed: number): tf.Sequential {
  const init = (i: number) => tf.initializers.heNormal({ seed: seed * 16 + i });
  const model = tf.sequential({ name: 'rgb_classifier' });
  const blocks: [filters: number, strides: number][] = [
    [16, 1],
    [32, 2],
    [64, 2],
    [64, 1],
    [128, 2],
    [64, 2],
  ];
  blocks.forEach(([filters, strides], i) => {
    model.add(
      tf.layers.conv2d({
        inputShape: i === 0 ? [64, 64, 3] : undefined,
        filters,
        kernelSize: 3,
        strides,
        padding: 'same',
        useBias: false,
        kernelInitializer: init(i),
      }),
    );
    model.add(tf.layers.batchNormalization({ momentum: 0.9 }));
    model.add(tf.layers.reLU());
  });
  model.add(tf.layers.flatten());
  model.add(
    tf.layers.dense({ units: 128, activation: 'relu', name: FEATURE_LAYER, kernelInitializer: init(blocks.length) }),
  );
  model.add(
    tf.layers.dense({
      units: classes,
      activation: 'softmax',
      name: 'probabilities',
      kernelInitializer: init(blocks.length + 1),
    }),
  );
  return model;
}
