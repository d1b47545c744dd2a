/** `gantry sample`: generated images from a run's generator, as PNG files or a grid, or a walk as an animation. */
import { join } from 'node:path';
import { BACKENDS, type BackendChoice, useBackend } from '../backend/index.js';
import { UsageError } from '../errors.js';
import { sampleFromW } from '../inference/project.js';
import { sampleRun } from '../inference/sample.js';
import { walkRun } from '../inference/style.js';
import { parseSeeds } from '../networks/style.js';
import { type CommandHelp, formatHelp, parseOptions } from './options.js';

export const sampleHelp: CommandHelp = {
  usage: 'gantry sample --run <dir> [options]',
  summary:
    "Generate images with a trained run's generator. The same run, seed and count give byte-identical files.\n" +
    'Without --out or --grid, writes one PNG per image to <run>/generated/seed-<seed>/.\n' +
    'stylegan runs also take --truncation, --interpolate (an animated walk in w) and --w (a projected image).',
  options: {
    run: { type: 'string', placeholder: 'dir', help: 'the run folder (holds checkpoint.bin)' },
    count: { type: 'int', min: 1, max: 100000, default: 64, help: 'number of images' },
    seed: { type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, help: 'seed of the latent noise' },
    out: {
      type: 'string',
      placeholder: 'dir',
      help: 'write NNNN.png files into this folder (with --interpolate: the .webp or .gif file; with --w: the .png)',
    },
    grid: { type: 'string', placeholder: 'file.png', help: 'write all images as one grid PNG' },
    class: {
      type: 'int',
      min: 0,
      max: 9999,
      placeholder: 'k',
      help: 'conditional runs: draw only class k (default: the classes in turn)',
    },
    truncation: {
      type: 'float',
      min: -2,
      max: 2,
      default: 1,
      placeholder: 'ψ',
      help: 'stylegan runs: pull w toward the mean w (1: none, 0.7: typical, 0: the mean image)',
    },
    interpolate: {
      type: 'string',
      placeholder: 'seeds',
      help: 'stylegan runs: a loop through these seeds in w (e.g. 1,2,3 or 1-4) written as an animation to --out',
    },
    frames: {
      type: 'int',
      min: 1,
      max: 1000,
      default: 24,
      help: 'with --interpolate: frames from one seed to the next',
    },
    w: {
      type: 'string',
      placeholder: 'file',
      help: 'stylegan runs: the image of a w written by gantry project (.json or .npy)',
    },
    scale: {
      type: 'int',
      min: 1,
      max: 16,
      default: 1,
      placeholder: 'k',
      help: 'enlarge each image k times, nearest neighbour (small pictures, e.g. a 32 px run, stay sharp to look at)',
    },
    backend: { type: 'string', choices: BACKENDS, default: 'auto', help: 'compute backend' },
  },
  examples: [
    'gantry sample --run runs/00000-dcgan-mnist --count 16 --seed 7 --out digits/',
    'gantry sample --run runs/00000-dcgan-mnist --count 100 --grid grid.png',
    'gantry sample --run runs/emoji32 --grid big.png --scale 3                            # 32 px pictures at 96 px',
    'gantry sample --run runs/00001-dcgan-mnist --class 7 --count 16 --grid sevens.png   # a --preset cgan run',
    'gantry sample --run runs/sg --count 64 --truncation 0.7 --grid truncated.png         # a --preset stylegan2 run',
    'gantry sample --run runs/sg --interpolate 1-6 --frames 24 --out walk.webp',
    'gantry sample --run runs/sg --w projected/w.json --out again.png',
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
  const truncation = values.truncation as number;
  let outDir = values.out as string | undefined;
  const gridFile = values.grid as string | undefined;
  if (values.interpolate != null || values.w != null) {
    const what = values.interpolate != null ? '--interpolate' : '--w';
    if (values.interpolate != null && values.w != null) throw new UsageError('--interpolate and --w go separately');
    if ((values.scale as number) !== 1) throw new UsageError(`--scale enlarges --out and --grid images, not ${what}`);
    if (outDir == null) throw new UsageError(`${what} writes one file: give it with --out`);
    await useBackend(values.backend as BackendChoice);
    if (values.w != null) {
      sampleFromW(runDir, values.w as string, outDir);
      process.stderr.write(`wrote ${outDir}\n`);
      return 0;
    }
    const seeds = parseSeeds('--interpolate', values.interpolate as string);
    if (seeds.length < 2) throw new UsageError('--interpolate needs at least two seeds (e.g. 1,2 or 1-4)');
    const frames = await walkRun({ runDir, seeds, frames: values.frames as number, truncation, outFile: outDir });
    process.stderr.write(`wrote ${outDir} (${frames} frames)\n`);
    return 0;
  }
  if (outDir == null && gridFile == null) outDir = join(runDir, 'generated', `seed-${seed}`);
  await useBackend(values.backend as BackendChoice);
  const files = sampleRun({
    runDir,
    count: values.count as number,
    seed,
    outDir,
    gridFile,
    classIndex: values.class as number | undefined,
    truncation,
    scale: values.scale as number,
  });
  process.stderr.write(
    `wrote ${files.length} file${files.length === 1 ? '' : 's'}${outDir ? ` to ${outDir}` : ` (${gridFile})`}\n`,
  );
  return 0;
}
