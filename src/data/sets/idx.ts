/** The standard IDX sets: the full MNIST (after `gantry data download mnist`) and Fashion-MNIST (Debian's package). */
import { DataError } from '../errors.js';
import { type DatasetDescriptor, importReader, type LoadContext, type Split } from '../set.js';

async function loadIdxSet(name: 'mnist-full' | 'fashion-mnist', split: Split, context: LoadContext, hint: string) {
  const { IDX_SETS, loadIdxFolder, locateIdxSet } = await importReader<typeof import('../idx_sets.js')>(
    '../idx_sets.js',
    import.meta.url,
  );
  const dir = locateIdxSet(name, context.cacheDir);
  if (dir == null) throw new DataError(`${name} is not on this machine (${hint})`);
  return loadIdxFolder(dir, split, name, IDX_SETS[name].classNames);
}

export const mnistFull: DatasetDescriptor = {
  summary: 'the 60,000 + 10,000 MNIST digits, after gantry data download mnist',
  imageSize: 28,
  channels: 1,
  background: 'black',
  splits: 'train: 60,000 digits; test: 10,000',
  heldOut: 'test',
  features: 'mnist',
  load: (split, context) => loadIdxSet('mnist-full', split, context, 'gantry data download mnist'),
};

export const fashionMnist: DatasetDescriptor = {
  summary: "Zalando's Fashion-MNIST: 28×28 pictures of clothes in 10 named classes (Debian's dataset-fashion-mnist)",
  imageSize: 28,
  channels: 1,
  background: 'black',
  splits: 'train: 60,000 images; test: 10,000',
  heldOut: 'test',
  features: 'fashion-mnist',
  load: (split, context) =>
    loadIdxSet(
      'fashion-mnist',
      split,
      context,
      'apt-get install dataset-fashion-mnist, or gantry data download fashion-mnist',
    ),
};
