/**
 * The named data sets (`--dataset NAME`): one descriptor each (set.ts says what a descriptor holds). A new data
 * set is a file in sets/ and one line here.
 */
import type { DatasetDescriptor } from './set.js';
import { emojiGoogle, emojiTwitter } from './sets/emoji.js';
import { fashionMnist, mnistFull } from './sets/idx.js';
import { mnist } from './sets/mnist.js';

export const DATASETS = {
  mnist,
  'mnist-full': mnistFull,
  'fashion-mnist': fashionMnist,
  'emoji-twitter': emojiTwitter,
  'emoji-google': emojiGoogle,
} satisfies Record<string, DatasetDescriptor>;

export type DatasetName = keyof typeof DATASETS;
export const DATASET_NAMES = Object.keys(DATASETS) as DatasetName[];

export const isDatasetName = (name: unknown): name is DatasetName =>
  typeof name === 'string' && Object.hasOwn(DATASETS, name);

/** The descriptor of a named data set. */
export const datasetOf = (name: DatasetName): DatasetDescriptor => DATASETS[name];
