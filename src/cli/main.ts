/** The `gantry` command: dispatches to one thin command module; user mistakes exit 2 with one line. */
import { UsageError, UserError } from '../errors.js';
import { ProcessesDifferError } from '../train/distributed.js';
import { TrainingDivergedError } from '../train/loop.js';
import { applyCommand } from './apply.js';
import { dataCommand } from './data.js';
import { evalCommand } from './eval.js';
import { exportCommand } from './export.js';
import { mixCommand } from './mix.js';
import { projectCommand } from './project.js';
import { sampleCommand } from './sample.js';
import { studioCommand } from './studio.js';
import { trainCommand } from './train.js';

const COMMANDS: Record<string, { run: (argv: string[]) => Promise<number>; summary: string }> = {
  train: { run: trainCommand, summary: 'train a GAN and write a run folder' },
  sample: { run: sampleCommand, summary: 'generate images with a trained run' },
  mix: { run: mixCommand, summary: "a stylegan run's style-mixing figure" },
  project: { run: projectCommand, summary: 'find the w of a real image under a stylegan run' },
  eval: { run: evalCommand, summary: 'FID, KID, IS, precision/recall and mode coverage of a run or folder' },
  studio: { run: studioCommand, summary: 'a local web app over a runs folder: runs, live curves, samples, playground' },
  export: { run: exportCommand, summary: "write a run's generator for web pages (gantry/web, examples/)" },
  data: { run: dataCommand, summary: 'describe or download data sets (gantry data info|download)' },
  upscale: { run: applyCommand('superres'), summary: 'upscale an image with a --task superres run' },
  colorize: { run: applyCommand('colorize'), summary: 'colour a gray image with a --task colorize run' },
  inpaint: { run: applyCommand('inpaint'), summary: 'fill masked pixels with a --task inpaint run' },
  translate: { run: applyCommand('translate'), summary: "translate an image's style with a --task translate run" },
};

const HELP = `Usage: gantry <command> [options]

Train, sample and judge GANs in TypeScript on TensorFlow.js.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`)
  .join('\n')}

Run 'gantry <command> --help' for a command's options and examples.

Examples:
  gantry train --epochs 1 --limit 6400 --out runs/quick
  gantry sample --run runs/quick --count 16 --grid digits.png
  gantry train --task superres --dataset emoji-twitter --epochs 6 --out runs/superres
  gantry upscale small.png big.png --run runs/superres
`;

/** File system errors on paths the user gave (e.g. --out pointing at a file) are user errors too. */
const FILE_ERRORS = new Set(['EACCES', 'EEXIST', 'EISDIR', 'ENOENT', 'ENOSPC', 'ENOTDIR', 'EPERM', 'EROFS']);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command == null || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command == null ? 2 : 0;
  }
  const entry = COMMANDS[command];
  const name = `gantry ${command}`;
  try {
    if (entry == null)
      throw new UsageError(`unknown command '${command}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    return await entry.run(rest);
  } catch (caught) {
    const err = caught as NodeJS.ErrnoException;
    // Every layer's user errors (config, data, checkpoint, backend, usage) derive from UserError.
    if (err instanceof UserError || FILE_ERRORS.has(err.code ?? '')) {
      process.stderr.write(`${entry ? name : 'gantry'}: error: ${err.message}\n`);
      return 2;
    }
    if (err instanceof TrainingDivergedError || err instanceof ProcessesDifferError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

process.exitCode = await main(process.argv.slice(2));
