/** `gantry mix`: the style-mixing figure of a stylegan run (row seeds' images with some layers from column seeds'). */
import { BACKENDS, type BackendChoice, useBackend } from '../backend/index.js';
import { UsageError } from '../errors.js';
import { mixRun } from '../inference/style.js';
import { parseSeeds } from '../networks/style.js';
import { type CommandHelp, formatHelp, parseOptions } from './options.js';

export const mixHelp: CommandHelp = {
  usage: 'gantry mix --run <dir> --rows <seeds> --cols <seeds> [--layers coarse|middle|fine|A-B] --grid <file.png>',
  summary:
    "StyleGAN's style-mixing figure from a stylegan run (gantry train --preset stylegan2): the column seeds'\n" +
    "images along the top, the row seeds' down the left, and in each cell the row's image with the --layers\n" +
    "styles taken from the column's seed (coarse: 4–8 px maps, pose and shape; middle: 16–32 px; fine: 64 px and\n" +
    'up, colour and texture; or w indices A-B).',
  options: {
    run: { type: 'string', placeholder: 'dir', help: 'a stylegan run folder' },
    rows: { type: 'string', placeholder: 'seeds', help: 'row seeds: 1,2,3 or 1-4' },
    cols: { type: 'string', placeholder: 'seeds', help: 'column seeds: 1,2,3 or 1-4' },
    layers: {
      type: 'string',
      placeholder: 'coarse|middle|fine|A-B',
      default: 'coarse',
      help: "the layers a cell takes from its column's seed",
    },
    truncation: {
      type: 'float',
      min: -2,
      max: 2,
      default: 1,
      placeholder: 'ψ',
      help: 'pull every w toward the mean w (1: none)',
    },
    grid: { type: 'string', placeholder: 'file.png', help: 'the figure, one PNG' },
    backend: { type: 'string', choices: BACKENDS, default: 'auto', help: 'compute backend' },
  },
  examples: [
    'gantry mix --run runs/sg --rows 1-5 --cols 10-15 --layers coarse --grid mix-coarse.png',
    'gantry mix --run runs/sg --rows 1,2 --cols 7,8,9 --layers 6-9 --truncation 0.7 --grid mix.png',
  ],
};

export async function mixCommand(argv: string[]): Promise<number> {
  const values = parseOptions('mix', argv, mixHelp.options);
  if (values == null) {
    process.stdout.write(formatHelp(mixHelp));
    return 0;
  }
  for (const flag of ['run', 'rows', 'cols', 'grid'] as const)
    if (values[flag] == null) throw new UsageError(`--${flag} is required (see gantry mix --help)`);
  const rows = parseSeeds('--rows', values.rows as string);
  const cols = parseSeeds('--cols', values.cols as string);
  await useBackend(values.backend as BackendChoice);
  const [a, b] = mixRun({
    runDir: values.run as string,
    rows,
    cols,
    layers: values.layers as string,
    truncation: values.truncation as number,
    gridFile: values.grid as string,
  });
  process.stderr.write(`wrote ${values.grid} (${rows.length} × ${cols.length}, w ${a}–${b} from the columns)\n`);
  return 0;
}
