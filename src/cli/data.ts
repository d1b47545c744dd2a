/** `gantry data info` and `gantry data download`. */

import type { ImageDataset } from '../data/dataset.js';
import { DOWNLOADABLE, downloadDataset } from '../data/download.js';
import { defaultCacheDir, isIdxFolder } from '../data/idx_sets.js';
import { DATASET_NAMES, DATASETS, type DatasetName, datasetHash, loadData } from '../data/index.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { encodePng } from '../io/png.js';
import { tileImages } from '../util/pixels.js';
import { type CommandHelp, formatHelp, parseOptions } from './options.js';
import { ProgressBar } from './progress.js';

export const dataInfoHelp: CommandHelp = {
  usage: 'gantry data info <dataset|path> [options]',
  summary:
    `Describe a data set (${DATASET_NAMES.join(', ')}) or a folder of images or IDX files: count, image shape,\n` +
    'classes with counts, value range and content hash; --grid writes real examples as one PNG (a row a class).',
  options: {
    split: { type: 'string', choices: ['train', 'test'], default: 'train', help: 'split of an IDX data set' },
    grid: { type: 'string', placeholder: 'file.png', help: 'write a grid of real examples' },
    resolution: { type: 'int', min: 8, max: 1024, help: 'image folders: square size (default 32)' },
    channels: { type: 'int', min: 1, max: 3, help: 'image folders: 1 or 3 (default 3)' },
    fit: { type: 'string', choices: ['crop', 'pad'], default: 'crop', help: 'image folders: center-crop or pad' },
    background: {
      type: 'string',
      choices: ['black', 'white'],
      default: 'black',
      help: 'image folders: colour under transparency',
    },
    strict: { type: 'boolean', help: 'image folders: unreadable or non-image files are an error' },
  },
  examples: [
    'gantry data info fashion-mnist --grid fashion.png',
    'gantry data info mnist-full --split test',
    'gantry data info ~/pictures/cats --resolution 64',
  ],
};

export const dataDownloadHelp: CommandHelp = {
  usage: `gantry data download <${Object.keys(DOWNLOADABLE).join('|')}> [options]`,
  summary:
    "Download a standard data set into the cache, checking every file's SHA-256; a file already there and\n" +
    'intact is kept. Needs a network (or a --mirror you serve yourself).',
  options: {
    mirror: { type: 'string', placeholder: 'url', help: 'base URL to fetch the .gz files from' },
    cache: { type: 'string', placeholder: 'dir', help: `cache folder (default: ${defaultCacheDir()})` },
  },
  examples: [
    'gantry data download mnist           # then: gantry train --dataset mnist-full',
    'gantry data download fashion-mnist --mirror http://127.0.0.1:8000/',
  ],
};

const HELP = `Usage: gantry data <info|download> ...

  info        describe a data set or folder (gantry data info --help)
  download    fetch a standard data set into the cache (gantry data download --help)

Examples:
  gantry data info fashion-mnist
  gantry data download mnist
`;

function describe(d: ImageDataset): string[] {
  let min = 255,
    max = 0;
  for (const v of d.images) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const lines = [
    `${d.name}: ${d.count} images, ${d.width}×${d.height}, ${d.channels} channel(s), pixel values ${min}–${max}`,
  ];
  if (d.classNames && d.labels) {
    const counts = new Array(d.classNames.length).fill(0);
    for (const l of d.labels) counts[l]++;
    lines.push(`${d.classNames.length} classes: ${d.classNames.map((c, i) => `${c} ${counts[i]}`).join(', ')}`);
  } else {
    lines.push('no classes');
  }
  lines.push(`content hash: ${datasetHash(d)}`);
  return lines;
}

/** Up to 8 examples of each class as rows (or the first 64 without classes). */
function exampleGrid(d: ImageDataset): { pixels: Uint8Array; width: number; height: number } {
  const size = d.height * d.width * d.channels;
  let picks: number[] = [];
  if (d.classNames && d.labels && d.classNames.length <= 32) {
    for (let c = 0; c < d.classNames.length; c++) {
      const row: number[] = [];
      for (let i = 0; i < d.count && row.length < 8; i++) if (d.labels[i] === c) row.push(i);
      while (row.length < 8) row.push(-1);
      picks.push(...row);
    }
  } else {
    picks = Array.from({ length: Math.min(64, d.count) }, (_, i) => i);
  }
  const images = new Uint8Array(picks.length * size);
  picks.forEach((p, i) => {
    if (p >= 0) images.set(d.images.subarray(p * size, (p + 1) * size), i * size);
  });
  return tileImages(images, picks.length, d.height, d.width, d.channels, 8);
}

async function info(argv: string[]): Promise<number> {
  const values = parseOptions('data info', argv, dataInfoHelp.options, ['dataset|path']);
  if (values == null) {
    process.stdout.write(formatHelp(dataInfoHelp));
    return 0;
  }
  const target = values._[0];
  const named = (DATASET_NAMES as readonly string[]).includes(target);
  const folder = !named && !isIdxFolder(target);
  const bar = new ProgressBar();
  const data = await loadData(
    {
      dataset: named ? (target as DatasetName) : 'mnist',
      data: named ? null : target,
      split: values.split as 'train' | 'test',
      imageSize:
        (values.resolution as number | undefined) ??
        (folder ? 32 : named ? DATASETS[target as DatasetName].imageSize : 28),
      channels:
        (values.channels as number | undefined) ?? (folder ? 3 : named ? DATASETS[target as DatasetName].channels : 1),
      fit: values.fit as 'crop' | 'pad',
      background: values.background as 'black' | 'white',
      strict: values.strict === true,
    },
    {
      progress: (done, total) => bar.task('decoding images', done, total),
      warn: (m) => {
        bar.clear();
        process.stderr.write(`warning: ${m}\n`);
      },
    },
  );
  process.stdout.write(`${describe(data).join('\n')}\n`);
  if (values.grid != null) {
    const grid = exampleGrid(data);
    writeFileAtomic(values.grid as string, encodePng(grid.width, grid.height, data.channels as 1 | 3, grid.pixels));
    process.stderr.write(`wrote ${values.grid}\n`);
  }
  return 0;
}

async function download(argv: string[]): Promise<number> {
  const values = parseOptions('data download', argv, dataDownloadHelp.options, ['name']);
  if (values == null) {
    process.stdout.write(formatHelp(dataDownloadHelp));
    return 0;
  }
  const name = values._[0];
  if (!(name in DOWNLOADABLE))
    throw new UsageError(`cannot download '${name}' (choose from ${Object.keys(DOWNLOADABLE).join(', ')})`);
  const bar = new ProgressBar();
  const result = await downloadDataset(name, {
    mirror: values.mirror as string | undefined,
    cacheDir: values.cache as string | undefined,
    progress: (file, received, total) => {
      if (total) bar.task(`${file} (bytes)`, received, total);
    },
  });
  bar.clear();
  for (const f of result.alreadyPresent) process.stderr.write(`already present and intact: ${f}\n`);
  for (const f of result.downloaded) process.stderr.write(`downloaded and verified: ${f}\n`);
  process.stderr.write(
    `${name} is in ${result.dir}${name === 'mnist' ? '; train on it with --dataset mnist-full' : ''}\n`,
  );
  return 0;
}

export async function dataCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'info') return info(rest);
  if (sub === 'download') return download(rest);
  if (sub == null || sub === '--help' || sub === '-h') {
    process.stdout.write(HELP);
    return sub == null ? 2 : 0;
  }
  throw new UsageError(`unknown data command '${sub}' (info, download)`);
}
