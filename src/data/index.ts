/** Data sets by name. */
import type { TrainConfig } from '../config.js';
import type { ImageDataset } from './dataset.js';
import { loadBundledMnist } from './mnist.js';

export function loadDataset(name: TrainConfig['dataset']): ImageDataset {
  switch (name) {
    case 'mnist':
      return loadBundledMnist();
  }
}
