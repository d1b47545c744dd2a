/**
 * A trained image-to-image run applied to an image file of any size: `gantry upscale|colorize|inpaint|translate`.
 * The picture is composited on the background the run trained with, run through G in overlapping tiles of the
 * training size (blended, so no seams), and written with its alpha channel kept (upscaled with the picture for
 * super-resolution). Inpainting reads a mask image of the same size: white (luma > 127) marks missing pixels; every
 * other pixel is returned exactly as it was.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname } from 'node:path';
import sharp from 'sharp';
import type { TrainConfig } from '../config.js';
import { DATASETS } from '../data/registry.js';
import { UsageError } from '../errors.js';
import { bicubicResize, clampUnit, luma } from '../image2image/degrade.js';
import { applyMask, composite, withMaskChannel } from '../image2image/masks.js';
import type { ImageTask } from '../image2image/task.js';
import { tiledApply } from '../image2image/tiling.js';
import { writeFileAtomic } from '../io/files.js';
import { runGenerator } from '../networks/generate.js';
import { loadRunGenerator } from './sample.js';

/** The command that applies each task. */
export const TASK_COMMANDS: Record<ImageTask, string> = {
  superres: 'upscale',
  colorize: 'colorize',
  inpaint: 'inpaint',
  translate: 'translate',
};

/** The largest output written, in pixels (64 megapixels: ~1 GB of floats while it is made). */
const MAX_OUTPUT_PIXELS = 64 * 2 ** 20;
const OUTPUT_FORMATS: Record<string, 'png' | 'jpeg' | 'webp'> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
};

export interface ApplyOptions {
  runDir: string;
  input: string;
  output: string;
  /** Inpainting: the mask image. */
  mask?: string;
  /** Pixels by which neighbouring tiles overlap (default: a quarter of the tile). */
  overlap?: number;
}

interface Picture {
  width: number;
  height: number;
  /** RGBA bytes. */
  rgba: Uint8Array;
  hasAlpha: boolean;
}

async function readPicture(path: string, what: string): Promise<Picture> {
  if (!existsSync(path)) throw new UsageError(`${what} ${path}: no such file`);
  try {
    const image = sharp(readFileSync(path)).rotate();
    const meta = await image.metadata();
    if (!['png', 'jpeg', 'webp'].includes(meta.format ?? '')) throw new Error(meta.format ?? 'unknown');
    const { data, info } = await image.ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    return {
      width: info.width,
      height: info.height,
      rgba: new Uint8Array(data.buffer, data.byteOffset, data.length),
      hasAlpha: meta.hasAlpha ?? false,
    };
  } catch (err) {
    throw new UsageError(`${what} ${path}: not a PNG, JPEG or WebP image (${(err as Error).message.split('\n')[0]})`);
  }
}

/** The picture as [h, w, channels] floats in [−1, 1], composited on the background (sRGB; gray by Rec. 601 luma). */
function toUnit(p: Picture, channels: number, background: number): Float32Array {
  const n = p.width * p.height;
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = p.rgba[i * 4 + 3] / 255;
    for (let k = 0; k < 3; k++) rgb[i * 3 + k] = (p.rgba[i * 4 + k] * a + background * (1 - a)) / 127.5 - 1;
  }
  return channels === 3 ? rgb : luma(rgb, 1, p.height, p.width);
}

/** G's input for the picture, and the size of G's output image. */
async function taskInput(
  task: ImageTask,
  config: TrainConfig,
  p: Picture,
  image: Float32Array,
  maskPath: string | undefined,
) {
  const c = config.channels;
  const { width: w, height: h } = p;
  switch (task) {
    case 'superres': {
      const s = config.srScale;
      return {
        input: clampUnit(bicubicResize(image, 1, h, w, c, h * s, w * s)),
        height: h * s,
        width: w * s,
        masks: null,
      };
    }
    case 'colorize':
      return { input: c === 3 ? luma(image, 1, h, w) : image, height: h, width: w, masks: null };
    case 'translate':
      return { input: image, height: h, width: w, masks: null };
    case 'inpaint': {
      if (maskPath == null)
        throw new UsageError(
          '--mask <file> is required: an image the size of the input, white where pixels are missing',
        );
      const m = await readPicture(maskPath, '--mask');
      if (m.width !== w || m.height !== h)
        throw new UsageError(`--mask ${maskPath} is ${m.width}×${m.height} but the input is ${w}×${h}`);
      const masks = Float32Array.from({ length: w * h }, (_, i) =>
        0.299 * m.rgba[i * 4] + 0.587 * m.rgba[i * 4 + 1] + 0.114 * m.rgba[i * 4 + 2] > 127 ? 1 : 0,
      );
      return {
        input: withMaskChannel(applyMask(image, masks, 1, h, w, c, 0), masks, 1, h, w, c),
        height: h,
        width: w,
        masks,
      };
    }
  }
}

/** The input's alpha at the output's size (bicubic for super-resolution), or null for an opaque input. */
function outputAlpha(p: Picture, width: number, height: number): Uint8Array | null {
  if (!p.hasAlpha) return null;
  const alpha = Float32Array.from({ length: p.width * p.height }, (_, i) => p.rgba[i * 4 + 3] / 127.5 - 1);
  const resized = width === p.width ? alpha : clampUnit(bicubicResize(alpha, 1, p.height, p.width, 1, height, width));
  return Uint8Array.from(resized, (v) => Math.round((v + 1) * 127.5));
}

/** Applies the run in `runDir` (trained with `--task task`) to one file; returns the output's size. */
export async function applyToFile(task: ImageTask, options: ApplyOptions): Promise<{ width: number; height: number }> {
  const format = OUTPUT_FORMATS[extname(options.output).toLowerCase()];
  if (format == null) throw new UsageError(`${options.output}: the output must end in .png, .jpg, .jpeg or .webp`);
  const picture = await readPicture(options.input, 'input');
  const { generator, config } = loadRunGenerator(options.runDir);
  try {
    if (config.task !== task) {
      const trained =
        config.task === 'none'
          ? 'a GAN from latent noise'
          : `--task ${config.task} (use gantry ${TASK_COMMANDS[config.task]})`;
      throw new UsageError(`--run ${options.runDir} was trained as ${trained}, not --task ${task}`);
    }
    const tile = config.imageSize;
    const overlap = options.overlap ?? tile / 4;
    if (overlap < 0 || overlap >= tile)
      throw new UsageError(`--overlap must be between 0 and ${tile - 1} (the tile is ${tile} pixels), got ${overlap}`);
    const scale = task === 'superres' ? config.srScale : 1;
    if (picture.width * picture.height * scale * scale > MAX_OUTPUT_PIXELS) {
      throw new UsageError(
        `input ${options.input}: ${picture.width}×${picture.height} is too large (the output may have at most ${MAX_OUTPUT_PIXELS / 2 ** 20} megapixels)`,
      );
    }
    const background =
      (config.data == null ? DATASETS[config.dataset].background : config.background) === 'white' ? 255 : 0;
    const image = toUnit(picture, config.channels, background);
    const { input, width, height, masks } = await taskInput(task, config, picture, image, options.mask);
    const cIn = input.length / (width * height);
    let output = tiledApply(input, height, width, cIn, tile, overlap, config.channels, (tiles, count) =>
      runGenerator(generator, tiles, count),
    );
    if (masks != null) output = composite(output, image, masks, 1, height, width, config.channels);
    const alpha = outputAlpha(picture, width, height);
    const c = config.channels + (alpha ? 1 : 0);
    const bytes = new Uint8Array(width * height * c);
    for (let i = 0; i < width * height; i++) {
      for (let k = 0; k < config.channels; k++)
        bytes[i * c + k] = Math.max(0, Math.min(255, Math.round((output[i * config.channels + k] + 1) * 127.5)));
      if (alpha) bytes[i * c + config.channels] = alpha[i];
    }
    const encoded = await sharp(bytes, { raw: { width, height, channels: c as 1 | 2 | 3 | 4 } })
      .toFormat(format)
      .toBuffer();
    writeFileAtomic(options.output, encoded);
    return { width, height };
  } finally {
    generator.store.dispose();
  }
}
