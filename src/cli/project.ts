/** `gantry project IMAGE --run DIR --out DIR`: the w whose image under a stylegan run's G matches a real image. */
import { BACKENDS, type BackendChoice, useBackend } from '../backend/index.js';
import { UsageError } from '../errors.js';
import { projectImage } from '../inference/project.js';
import { type CommandHelp, formatHelp, parseOptions } from './options.js';

export const projectHelp: CommandHelp = {
  usage: 'gantry project <image> --run <dir> --out <dir> [--steps N]',
  summary:
    "Find the w (and noise maps) whose image under a stylegan run's generator matches <image> (PNG, JPEG or WebP,\n" +
    "fitted to the run's size): StyleGAN2's projection, with the pixel error plus the distance on gantry's own\n" +
    "features for the run's data set. Writes projected.png, target.png, w.json (ws and noise; gantry sample --w\n" +
    'regenerates it exactly), w.npy (ws, float32) and progress.webp (the search beside the target).',
  options: {
    run: { type: 'string', placeholder: 'dir', help: 'a stylegan run folder' },
    out: { type: 'string', placeholder: 'dir', help: 'folder for the results' },
    steps: { type: 'int', min: 1, max: 100000, default: 500, help: 'optimisation steps' },
    seed: {
      type: 'int',
      min: 0,
      max: 2 ** 32 - 1,
      default: 0,
      help: 'seed of the starting noise maps and the w jitter',
    },
    'feature-weight': {
      type: 'float',
      min: 0,
      max: 1e6,
      default: 1,
      help: 'weight of the feature distance (0: pixels only)',
    },
    backend: { type: 'string', choices: BACKENDS, default: 'auto', help: 'compute backend' },
  },
  examples: [
    'gantry project smile.png --run runs/sg --out projected/',
    'gantry sample --run runs/sg --w projected/w.json --out again.png',
  ],
};

export async function projectCommand(argv: string[]): Promise<number> {
  const values = parseOptions('project', argv, projectHelp.options, ['image']);
  if (values == null) {
    process.stdout.write(formatHelp(projectHelp));
    return 0;
  }
  if (values.run == null) throw new UsageError('--run <dir> is required (a stylegan run folder)');
  if (values.out == null) throw new UsageError('--out <dir> is required (a folder for the results)');
  await useBackend(values.backend as BackendChoice);
  const steps = values.steps as number;
  const result = await projectImage({
    runDir: values.run as string,
    image: values._[0],
    outDir: values.out as string,
    steps,
    seed: values.seed as number,
    featureWeight: values['feature-weight'] as number,
    progress: (step, loss) => process.stderr.write(`\rstep ${step}/${steps}  loss ${loss.toFixed(4)}   `),
  });
  process.stderr.write(`\nPSNR ${result.psnr.toFixed(2)} dB; wrote ${result.files.join(', ')}\n`);
  return 0;
}
