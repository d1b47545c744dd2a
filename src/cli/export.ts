/** `gantry export --run DIR --out DIR`: a run's generator as files any web page loads with `gantry/web`. */
import { BACKENDS, type BackendChoice, useBackend } from '../backend/index.js';
import { UsageError } from '../errors.js';
import { exportRun } from '../inference/export.js';
import { type CommandHelp, formatHelp, parseOptions } from './options.js';

export const exportHelp: CommandHelp = {
  usage: 'gantry export --run <dir> --out <dir> [options]',
  summary:
    "Write a run's generator for web pages: gantry.json (its config) and generator.bin (its weights), which\n" +
    "gantry/web's loadRun(url) builds with gantry's own network code, for every family and task; a plain dcgan\n" +
    'also gets model.json + weights.bin (TensorFlow.js layers format, for tf.loadLayersModel). Serve the folder\n' +
    'with any static server; examples/ shows a page that generates and applies with it.',
  options: {
    run: { type: 'string', placeholder: 'dir', help: 'the run folder (holds checkpoint.bin)' },
    out: { type: 'string', placeholder: 'dir', help: 'the folder to write' },
    weights: {
      type: 'string',
      choices: ['ema', 'raw'],
      help: "G's moving average or its raw weights (default: the EMA where the run keeps one)",
    },
    backend: { type: 'string', choices: BACKENDS, default: 'auto', help: 'compute backend' },
  },
  examples: [
    'gantry export --run runs/00000-dcgan-mnist --out public/mnist',
    'gantry export --run runs/superres --out public/superres && npx http-server public',
  ],
};

export async function exportCommand(argv: string[]): Promise<number> {
  const values = parseOptions('export', argv, exportHelp.options);
  if (values == null) {
    process.stdout.write(formatHelp(exportHelp));
    return 0;
  }
  if (values.run == null) throw new UsageError('--run <dir> is required (a folder written by gantry train)');
  if (values.out == null) throw new UsageError('--out <dir> is required (the folder to write)');
  await useBackend(values.backend as BackendChoice);
  const result = await exportRun(values.run as string, values.out as string, {
    weights: values.weights as 'ema' | 'raw' | undefined,
  });
  const layers = result.layers ? ' and model.json (tfjs layers)' : '';
  process.stderr.write(`wrote ${values.out}: gantry.json + generator.bin (${result.weights} weights)${layers}\n`);
  return 0;
}
