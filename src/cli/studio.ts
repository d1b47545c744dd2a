/** `gantry studio`: a local web app over a runs folder (runs, live training curves, samples, playground). */
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { isLoopback, StudioError, startStudio } from '../studio/server.js';
import { type CommandHelp, formatHelp, parseOptions } from './options.js';

export const studioHelp: CommandHelp = {
  usage: 'gantry studio [options]',
  summary:
    'Serve a local, read-only web app over a runs folder: the runs and their status, live loss and metric\n' +
    'curves while a run trains, the sample grid of each epoch, and a playground that runs a generator in the browser.\n' +
    'Stop it with Ctrl-C.',
  options: {
    runs: {
      type: 'string',
      placeholder: 'dir',
      default: 'runs',
      help: 'the runs folder (run folders at depth 1 or 2)',
    },
    port: { type: 'int', min: 0, max: 65535, default: 7860, help: 'port to listen on; 0 picks any free port' },
    host: {
      type: 'string',
      placeholder: 'address',
      default: '127.0.0.1',
      help: 'address to listen on (0.0.0.0 makes the studio reachable from the network)',
    },
  },
  examples: [
    'gantry studio                          # http://127.0.0.1:7860/ over ./runs',
    'gantry studio --runs runs/compare --port 8080',
    'gantry studio --port 0                 # any free port',
  ],
};

export async function studioCommand(argv: string[]): Promise<number> {
  const values = parseOptions('studio', argv, studioHelp.options);
  if (values == null) {
    process.stdout.write(formatHelp(studioHelp));
    return 0;
  }
  const runsDir = values.runs as string;
  const host = values.host as string;
  let studio: Awaited<ReturnType<typeof startStudio>>;
  try {
    studio = await startStudio({ runsDir, port: values.port as number, host });
  } catch (err) {
    if (err instanceof StudioError) throw new UsageError(err.message);
    throw err;
  }
  if (!isLoopback(host)) {
    process.stderr.write(
      `gantry studio: warning: listening on ${host}, the studio is reachable from the network (anyone who can reach this machine can read the runs)\n`,
    );
  }
  process.stdout.write(`gantry studio: ${studio.url} (runs: ${resolve(runsDir)})\n`);
  await new Promise<void>((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void studio.close().then(resolveStop);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}
