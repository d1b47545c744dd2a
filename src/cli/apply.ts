/**
 * `gantry upscale|colorize|inpaint|translate IN OUT --run DIR`: a trained image-to-image run applied to a file, or
 * to every image in a folder (the same relative paths under OUT, batched, with a progress bar).
 */
import { existsSync, statSync } from 'node:fs';
import { BACKENDS, type BackendChoice, useBackend } from '../backend/index.js';
import { UsageError } from '../errors.js';
import type { ImageTask } from '../image2image/task.js';
import { applyToFile, applyToFolder, TASK_COMMANDS } from '../inference/apply.js';
import { type CommandHelp, formatHelp, parseOptions } from './options.js';
import { ProgressBar } from './progress.js';

const WHAT: Record<ImageTask, { summary: string; example: string }> = {
  superres: {
    summary: "Upscale an image by the run's factor (×4 by default) with a --task superres run.",
    example: 'gantry upscale small.png big.png --run runs/superres',
  },
  colorize: {
    summary: 'Colour a gray (or colour, made gray) image with a --task colorize run.',
    example: 'gantry colorize old.jpg coloured.png --run runs/colorize',
  },
  inpaint: {
    summary: 'Fill the pixels a mask marks (white = missing) with a --task inpaint run; the others are kept.',
    example: 'gantry inpaint photo.png filled.png --mask holes.png --run runs/inpaint',
  },
  translate: {
    summary: "Translate an image to the run's target style with a --task translate run.",
    example: 'gantry translate twitter.png google-style.png --run runs/translate',
  },
};

export function applyHelp(task: ImageTask): CommandHelp {
  const command = TASK_COMMANDS[task];
  return {
    usage: `gantry ${command} <in> <out> --run <dir>${task === 'inpaint' ? ' --mask <file|dir>' : ''} [options]`,
    summary:
      `${WHAT[task].summary}\nPNG, JPEG or WebP of any size: larger images run in overlapping tiles of the training size, blended;\n` +
      "transparency is kept. The output format follows <out>'s extension (.png, .jpg, .webp).\n" +
      '<in> may be a folder: every image under it (recursively) is written to the same relative path under the\n' +
      'folder <out>, in batches; unreadable files are skipped with a warning, and existing outputs are kept.',
    options: {
      run: { type: 'string', placeholder: 'dir', help: `a run folder trained with --task ${task}` },
      ...(task === 'inpaint'
        ? {
            mask: {
              type: 'string' as const,
              placeholder: 'file|dir',
              help: "mask image of the input's size, white where pixels are missing; for a folder <in>, one mask for all or a folder of masks matched by file name",
            },
          }
        : {}),
      overlap: {
        type: 'int',
        min: 0,
        max: 4096,
        placeholder: 'px',
        help: 'overlap of neighbouring tiles (default: a quarter of the tile)',
      },
      overwrite: { type: 'boolean', help: 'folders: replace files that already exist under <out>' },
      strict: { type: 'boolean', help: 'folders: an unreadable image (or missing mask) is an error, not skipped' },
      backend: { type: 'string', choices: BACKENDS, default: 'auto', help: 'compute backend' },
    },
    examples: [
      WHAT[task].example,
      `gantry ${command} photos/ ${command}d/ --run runs/${task}${task === 'inpaint' ? ' --mask masks/' : ''}`,
      `gantry ${command} in.png out.png --run runs/${task} --overlap 32`,
    ],
  };
}

export function applyCommand(task: ImageTask): (argv: string[]) => Promise<number> {
  return async (argv) => {
    const command = TASK_COMMANDS[task];
    const help = applyHelp(task);
    const values = parseOptions(command, argv, help.options, ['in', 'out']);
    if (values == null) {
      process.stdout.write(formatHelp(help));
      return 0;
    }
    if (values.run == null)
      throw new UsageError(`--run <dir> is required (a folder written by gantry train --task ${task})`);
    await useBackend(values.backend as BackendChoice);
    const [input, output] = values._;
    if (existsSync(input) && statSync(input).isDirectory()) {
      const bar = new ProgressBar();
      const started = Date.now();
      const { written, skipped } = await applyToFolder(task, {
        runDir: values.run as string,
        input,
        output,
        mask: values.mask as string | undefined,
        overlap: values.overlap as number | undefined,
        overwrite: values.overwrite === true,
        strict: values.strict === true,
        onProgress: (done, total) => bar.task('images', done, total),
        onSkip: (_, reason) => {
          bar.clear();
          process.stderr.write(`warning: skipped ${reason}\n`);
        },
      });
      bar.clear();
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const note = skipped > 0 ? ` (${skipped} skipped)` : '';
      process.stderr.write(`wrote ${written} images under ${output} in ${seconds} s${note}\n`);
      return 0;
    }
    const size = await applyToFile(task, {
      runDir: values.run as string,
      input,
      output,
      mask: values.mask as string | undefined,
      overlap: values.overlap as number | undefined,
    });
    process.stderr.write(`wrote ${output} (${size.width}×${size.height})\n`);
    return 0;
  };
}
