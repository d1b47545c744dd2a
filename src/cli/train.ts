/** `gantry train`: a thin layer over `train()` — flags to config, run folder, progress and Ctrl-C. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig, type TrainConfig } from '../config.js';
import { surveyFolder } from '../data/folder.js';
import { isIdxFolder } from '../data/idx_sets.js';
import { DATASET_NAMES, type DatasetName } from '../data/index.js';
import { folderDefaults } from '../defaults.js';
import { UsageError } from '../errors.js';
import {
  MAX_EPOCHS,
  OPTION_NAMES,
  type OptionName,
  optionOf,
  PRESET_NAMES,
  PRESETS,
  RESUMABLE_OPTIONS,
} from '../options.js';
import { broadcastText } from '../train/distributed.js';
import { train } from '../train/loop.js';
import { CHECKPOINT_FILE } from '../train/state.js';
import { type CommandHelp, formatHelp, type OptionSpec, parseOptions } from './options.js';
import { joinProcesses, launchProcesses, withoutProcesses } from './processes.js';
import { ProgressBar } from './progress.js';

/** The flag of an option: its own name, or its name in kebab case. */
const flagOf = (key: OptionName): string => optionOf(key).flag ?? key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The flag's entry in the command's option table, with the option's own type, limits and default. */
function configFlag(key: OptionName): OptionSpec {
  const o = optionOf(key);
  const { help, placeholder } = o;
  const def = o.default ?? undefined;
  if (o.kind === 'choice') return { type: 'string', help, choices: o.choices, default: def as string };
  if (o.kind === 'bool') return { type: 'boolean', help };
  if (o.kind === 'text' || o.kind === 'list')
    return { type: 'string', help, placeholder, default: def as string | undefined };
  return {
    type: o.minutes ? 'minutes' : o.kind,
    help,
    min: o.min,
    max: o.max,
    placeholder,
    default: def as number | undefined,
  };
}

/** `--eval-every 5m` (a time, not a number of epochs) is `--eval-minutes 5`. */
function evalEveryByTime(argv: string[]): string[] {
  return argv.flatMap((arg, i) => {
    const [flag, inline] = arg.split('=', 2);
    const value = inline ?? argv[i + 1];
    if (flag !== '--eval-every' || value == null || !/^\s*[\d.]+\s*(s|m|min|h)\s*$/.test(value)) return [arg];
    return inline != null ? [`--eval-minutes=${value}`] : ['--eval-minutes'];
  });
}

/** Every option but the ones a run records itself has a flag. */
const FLAG_TO_CONFIG: Record<string, OptionName> = Object.fromEntries(
  OPTION_NAMES.filter((k) => !optionOf(k).recorded).map((k) => [flagOf(k), k]),
);

/** Flags that may change when a run is resumed; the rest are fixed by its checkpoint. */
const RESUMABLE = new Set(RESUMABLE_OPTIONS.map(flagOf));

export const trainHelp: CommandHelp = {
  usage: 'gantry train [options]',
  summary:
    'Train a GAN (the reference DCGAN by default) on a data set; writes a run folder with config.json,\n' +
    'metrics.jsonl, a sample grid per epoch (samples/), checkpoint.bin and the exported generator/.\n' +
    'On/off options also take --no-<flag> (e.g. --no-ada), to turn off what a preset turns on.',
  options: {
    ...Object.fromEntries(Object.entries(FLAG_TO_CONFIG).map(([flag, key]) => [flag, configFlag(key)])),
    'dry-run': { type: 'boolean', help: 'print the resolved config (preset and flags applied) as JSON and exit' },
    processes: {
      type: 'int',
      min: 1,
      max: 4096,
      placeholder: 'n',
      help: 'data-parallel over n processes on this machine (starts mpirun; or run mpirun -np n gantry train)',
    },
    out: { type: 'string', placeholder: 'dir', help: 'run folder (default: runs/NNNNN-<architecture>-<dataset>)' },
    resume: { type: 'string', placeholder: 'dir', help: 'continue the run in this folder from its checkpoint' },
  },
  examples: [
    'gantry train                                   # the reference DCGAN on the bundled MNIST digits',
    `gantry train --preset sngan --dry-run          # print what a preset resolves to (presets: ${PRESET_NAMES.join(', ')})`,
    'gantry train --preset wgan-gp --dataset fashion-mnist --epochs 2',
    'gantry train --preset hybrid --dataset fashion-mnist --epochs 1   # resnet G + StyleGAN2 D: the best unconditional preset',
    'gantry train --preset cgan --ema 0.999          # class-conditional; gantry sample --class 7',
    'gantry train --preset hinge --diff-augment color,translation,cutout --r1-gamma 1',
    'gantry train --epochs 1 --limit 6400 --out runs/quick',
    'gantry train --resume runs/quick --epochs 3    # continue, extending to 3 epochs',
    'gantry train --dataset fashion-mnist --epochs 10 --eval-every 2   # FID every 2 epochs, fid.png, best checkpoint',
    'gantry train --preset fastgan --dataset emoji-twitter --epochs 1000 --time-budget 60m --eval-every 5m',
    'gantry train --data my-digits/ --eval-every 1 --eval-features mnist   # a folder, judged by the MNIST classifier',
    'gantry train --data ~/pictures/cats --time-budget 30m   # picks preset, resolution and augmentation by the data',
    'gantry train --data ~/pictures/cats --resolution 32 --channels 3 --mirror',
    'gantry train --processes 2                    # data-parallel on two cores (starts mpirun)',
    'mpirun -np 8 gantry train --sync-batchnorm    # launched by hand; --hostfile for several machines',
    'gantry train --backend cpu --limit 256 --epochs 1',
    'gantry train --task superres --dataset emoji-twitter --epochs 6   # also colorize, inpaint; PSNR/SSIM each epoch',
    'gantry train --task translate --source emoji-twitter --target emoji-google',
    'gantry train --task translate --source photos/ --target paintings/ --resolution 64   # pairs matched by file name',
  ],
};

function nextRunDir(root: string, config: TrainConfig): string {
  const taken = existsSync(root)
    ? readdirSync(root)
        .map((n) => Number.parseInt(n, 10))
        .filter(Number.isFinite)
    : [];
  const next = taken.length > 0 ? Math.max(...taken) + 1 : 0;
  return join(root, `${String(next).padStart(5, '0')}-${config.architecture}-${config.dataset}`);
}

/** `--no-ada` and the like: an on/off option set off (a preset may turn it on); returns the rest and the names. */
function negatedFlags(argv: string[]): { rest: string[]; off: OptionName[] } {
  const off: OptionName[] = [];
  const rest = argv.filter((arg) => {
    const key = arg.startsWith('--no-') ? FLAG_TO_CONFIG[arg.slice(5)] : undefined;
    if (key == null || optionOf(key).kind !== 'bool') return true;
    off.push(key);
    return false;
  });
  return { rest, off };
}

export async function trainCommand(args: string[]): Promise<number> {
  const { rest, off } = negatedFlags(evalEveryByTime(args));
  const argv = rest;
  const values = parseOptions('train', argv, trainHelp.options);
  if (values == null) {
    process.stdout.write(formatHelp(trainHelp));
    return 0;
  }
  const processes = values.processes as number | undefined;
  if (processes != null && processes > 1 && !values['dry-run'])
    return launchProcesses(processes, withoutProcesses(argv));
  const given = new Set(argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]));
  const overrides: Record<string, unknown> = {};
  for (const [flag, key] of Object.entries(FLAG_TO_CONFIG)) if (given.has(flag)) overrides[key] = values[flag];
  for (const key of off) {
    if (overrides[key] === true) throw new UsageError(`--${flagOf(key)} and --no-${flagOf(key)} go separately`);
    overrides[key] = false;
  }
  if (given.has('subset') && !given.has('limit') && !given.has('resume'))
    throw new UsageError('--subset chooses which images --limit keeps: give --limit N too');
  if (given.has('ada-ops') && !given.has('resume')) {
    const c = resolveConfig(overrides);
    if (!c.ada && c.augmentP == null)
      throw new UsageError('--ada-ops chooses the ops of --ada or --augment-p: give one of them');
  }
  // A new run with a time budget and no --epochs trains until the budget is spent, not for the default 5 epochs.
  if (given.has('time-budget') && !given.has('epochs') && !given.has('resume')) overrides.epochs = MAX_EPOCHS;

  // A folder of pictures defaults to 32×32 RGB rather than the 28×28 gray of the digit sets.
  const pictureFolder =
    (given.has('data') && !isIdxFolder(values.data as string)) ||
    (given.has('source') && !DATASET_NAMES.includes(values.source as DatasetName));
  // No preset: how to train on a folder is picked from what it holds (the user's flags still win).
  // (Image-to-image runs have their own preset, chosen by --task.)
  const found =
    pictureFolder && given.has('data') && !given.has('preset') && !given.has('task')
      ? await surveyFolder(values.data as string)
      : null;
  if (found != null) {
    // The pick is for the images the run trains on: --limit N of them, not the whole folder.
    const limit = overrides.limit as number | null | undefined;
    const survey = limit != null && limit < found.count ? { ...found, count: limit } : found;
    const picked = folderDefaults(survey, (overrides.timeBudget as number | undefined) ?? 0);
    for (const [key, value] of Object.entries(picked.fields)) overrides[key] ??= value;
    // Said once the flags are known to fit the picks (a bad flag is then the only line printed).
    resolveConfig(overrides);
    const count =
      survey.count < found.count ? `${found.count} images, ${survey.count} with --limit` : `${found.count} images`;
    const what = `${count}, ${survey.side} px median side, ${survey.gray ? 'gray' : 'colour'}${survey.classes >= 2 ? `, ${survey.classes} classes` : ''}`;
    process.stderr.write(
      `picked for ${values.data} (${what}; flags override):\n${picked.reasons.map((r) => `  ${r}`).join('\n')}\n`,
    );
  } else if (pictureFolder) {
    if (!given.has('resolution')) overrides.imageSize = 32;
    if (!given.has('channels')) overrides.channels = 3;
  }
  if (values['dry-run']) {
    if (given.has('resume')) throw new UsageError('--dry-run cannot be used with --resume');
    const config = resolveConfig(overrides);
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    process.stderr.write(`preset ${config.preset}: ${PRESETS[config.preset].summary}\n`);
    return 0;
  }
  // Under mpirun: rank 0 checks the flags' folders and chooses the run folder; the others take its choice.
  const mpi = joinProcesses();
  const leader = mpi == null || mpi.rank === 0;
  const resumeDir = values.resume as string | undefined;
  let runDir = '';
  if (!leader) {
    // Rank 0 checks the folders.
  } else if (resumeDir != null) {
    if (given.has('out'))
      throw new UsageError('--out cannot be used with --resume (the run continues in its own folder)');
    const fixed = [...given].filter((f) => f in FLAG_TO_CONFIG && !RESUMABLE.has(f));
    if (fixed.length > 0)
      throw new UsageError(
        `--${fixed[0]} cannot be changed when resuming (only ${[...RESUMABLE].map((f) => `--${f}`).join(', ')})`,
      );
    if (!existsSync(join(resumeDir, CHECKPOINT_FILE)))
      throw new UsageError(`--resume: ${resumeDir} is not a gantry run folder (no ${CHECKPOINT_FILE})`);
    runDir = resumeDir;
  } else {
    const config = resolveConfig(overrides);
    runDir = (values.out as string | undefined) ?? nextRunDir('runs', config);
    if (existsSync(runDir) && readdirSync(runDir).length > 0) {
      const hint = existsSync(join(runDir, CHECKPOINT_FILE)) ? `; continue it with --resume ${runDir}` : '';
      throw new UsageError(`--out: ${runDir} is not empty${hint}, or choose another folder`);
    }
  }

  const collective = mpi != null && mpi.size > 1 ? mpi : undefined;
  if (collective != null) {
    runDir = broadcastText(collective, runDir);
    if (leader) process.stderr.write(`data-parallel over ${collective.size} processes (${collective.version})\n`);
  } else {
    mpi?.finalize();
  }
  // Rank 0 reports; the other processes are silent but for their errors.
  const quiet = () => {};
  const bar = new ProgressBar();
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    bar.clear();
    if (leader)
      process.stderr.write('stopping after this step and saving a checkpoint (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  // Under mpirun: SIGUSR1 (which mpirun passes on to every process) asks for the same clean stop.
  if (mpi != null) process.on('SIGUSR1', onSigint);
  try {
    const result = await train({
      runDir,
      resume: resumeDir != null,
      config: resumeDir != null ? undefined : resolveConfig(overrides),
      resumeOverrides: overrides,
      log: leader
        ? (line) => {
            bar.clear();
            process.stdout.write(`${line}\n`);
          }
        : quiet,
      info: leader
        ? (line) => {
            bar.clear();
            process.stderr.write(`${line}\n`);
          }
        : quiet,
      progress: leader ? (p) => bar.update(p) : quiet,
      dataProgress: leader ? (done, total) => bar.task('decoding images', done, total) : quiet,
      shouldStop: () => stopRequested,
      collective,
    });
    bar.clear();
    collective?.finalize();
    if (!leader) return result.completed ? 0 : 130;
    if (!result.completed) {
      process.stderr.write(`stopped at step ${result.globalStep}; continue with: gantry train --resume ${runDir}\n`);
      return 130;
    }
    const exported = existsSync(join(runDir, 'generator')) ? `, generator in ${join(runDir, 'generator')}` : '';
    process.stderr.write(`done: ${runDir} (grids in ${join(runDir, 'samples')}${exported})\n`);
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGUSR1', onSigint);
  }
}
