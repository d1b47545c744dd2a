/** `gantry sample`: generated images from a run's generator, as PNG files or a grid. */
import { join } from 'node:path';
import { BACKENDS, type BackendChoice, useBackend } from '../backend/index.js';
import { UsageError } from '../errors.js';
import { sampleRun } from '../inference/sample.js';
import { type CommandHelp, formatHelp, parseOptions } from './options.js';

export const sampleHelp: CommandHelp = {
  usage: 'gantry sample --run <dir> [options]',
  summary:
    "Generate images with a trained run's generator. The same run, seed and count give byte-identical files.\n" +
    'Without --out or --grid, writes one PNG per image to <run>/generated/seed-<seed>/.',
  options: {
    run: { type: 'string', placeholder: 'dir', help: 'the run folder (holds checkpoint.bin)' },
    count: { type: 'int', min: 1, max: 100000, default: 64, help: 'number of images' },
    seed: { type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, help: 'seed of the latent noise' },
    out: { type: 'string', placeholder: 'dir', help: 'write NNNN.png files into this folder' },
    grid: { type: 'string', placeholder: 'file.png', help: 'write all images as one grid PNG' },
    class: {
      type: 'int',
      min: 0,
      max: 9999,
      placeholder: 'k',
      help: 'conditional runs: draw only class k (default: the classes in turn)',
    },
    backend: { type: 'string', choices: BACKENDS, default: 'auto', help: 'compute backend' },
  },
  examples: [
    'gantry sample --run runs/00000-dcgan-mnist --count 16 --seed 7 --out digits/',
    'gantry sample --run runs/00000-dcgan-mnist --count 100 --grid grid.png',
    'gantry sample --run runs/00001-dcgan-mnist --class 7 --count 16 --grid sevens.png   # a --preset cgan run',
  ],
};

export async function sampleCommand(argv: string[]): Promise<number> {
  const values = parseOptions('sample', argv, sampleHelp.options);
  if (values == null) {
    process.stdout.write(formatHelp(sampleHelp));
    return 0;
  }
  if (values.run == null) throw new UsageError('--run <dir> is required (a folder written by gantry train)');
  const runDir = values.run as string;
  const seed = values.seed as number;
  let outDir = values.out as string | undefined;
  const gridFile = values.grid as string | undefined;
  if (outDir == null && gridFile == null) outDir = join(runDir, 'generated', `seed-${seed}`);
  await useBackend(values.backend as BackendChoice);
  const files = sampleRun({
    runDir,
    count: values.count as number,
    seed,
    outDir,
    gridFile,
    classIndex: values.class as number | undefined,
  });
  process.stderr.write(
    `wrote ${files.length} file${files.length === 1 ? '' : 's'}${outDir ? ` to ${outDir}` : ` (${gridFile})`}\n`,
  );
  return 0;
}
