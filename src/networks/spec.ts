/** The network spec of a run's config: what the families build from (kept free of Node APIs: the studio's browser code uses it). */
import type { TrainConfig } from '../config.js';
import { taskInputChannels } from '../image2image/task.js';
import type { NetworkSpec } from './network.js';

export function networkSpec(config: TrainConfig): NetworkSpec {
  return {
    latentDim: config.latentDim, imageSize: config.imageSize, channels: config.channels,
    numClasses: config.conditioning === 'none' ? 0 : config.numClasses, conditioning: config.conditioning,
    spectralNorm: config.spectralNorm, attention: config.attention, minibatchStd: config.minibatchStd, init: config.init,
    ...(config.task === 'none' ? {} : { conditionChannels: taskInputChannels(config.task, config.channels) }),
  };
}

