/**
 * A trained image-to-image generator applied to pictures of any size, in memory: RGBA bytes in, bytes out. The
 * picture is composited on the background the run trained with, turned into G's input for the task, run through G
 * in overlapping tiles of the training size (blended, so no seams; the tiles of many pictures share G's batches),
 * and returned with its alpha channel kept (upscaled with the picture for super-resolution). Inpainting takes a
 * mask picture of the same size: white (luma > 127) marks missing pixels; every other pixel comes back exactly.
 * Node-free: `gantry upscale|colorize|inpaint|translate` (files and folders, through sharp), the library's
 * `applyRun`, the studio's Apply view and `gantry/web` in any page all run this, so they give the same pixels.
 */
import { type TrainConfig, taskInputChannels } from '../config.js';
import { DATASETS } from '../data/registry.js';
import { UsageError } from '../errors.js';
import { runGenerator } from '../networks/generate.js';
import type { Network } from '../networks/network.js';
import { bicubicResize, clampUnit, grayToRgb, luma } from './degrade.js';
import { applyMask, composite, meanFill, withMaskChannel } from './masks.js';
import type { ImageTask } from './task.js';
import { tiledApplyMany } from './tiling.js';

/** A decoded picture: RGBA bytes, row by row. */
export interface Picture {
  width: number;
  height: number;
  rgba: Uint8Array;
  /** Whether the file had an alpha channel (the output then keeps one). */
  hasAlpha: boolean;
}

/** An output picture: `channels` bytes a pixel (gray, gray + alpha, RGB or RGBA). */
export interface AppliedPicture {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  pixels: Uint8Array;
}

/** One picture to apply a run to, with its mask for inpainting. */
export interface ApplyItem {
  picture: Picture;
  mask?: Picture;
}

/** The command that applies each task. */
export const TASK_COMMANDS: Record<ImageTask, string> = {
  superres: 'upscale',
  colorize: 'colorize',
  inpaint: 'inpaint',
  translate: 'translate',
};

/** The largest output made, in pixels (64 megapixels: ~1 GB of floats while it is made). */
export const MAX_OUTPUT_PIXELS = 64 * 2 ** 20;

/** Tiles in one call to G: big enough to keep the kernels busy, small enough to bound memory. */
const TILES_PER_CALL = 32;

/** The task a run was trained for, or a user error naming the command that applies it. */
export function checkRunTask(config: TrainConfig, task: ImageTask, run: string): void {
  if (config.task === task) return;
  const trained =
    config.task === 'none'
      ? 'a GAN from latent noise'
      : `--task ${config.task} (use gantry ${TASK_COMMANDS[config.task]})`;
  throw new UsageError(`${run} was trained as ${trained}, not --task ${task}`);
}

/** The overlap of neighbouring tiles: `asked`, or a quarter of the tile; a user error when out of range. */
export function tileOverlap(config: TrainConfig, asked?: number): number {
  const tile = config.imageSize;
  const overlap = asked ?? tile / 4;
  if (!Number.isInteger(overlap) || overlap < 0 || overlap >= tile)
    throw new UsageError(`--overlap must be between 0 and ${tile - 1} (the tile is ${tile} pixels), got ${overlap}`);
  return overlap;
}

/** The output's width and height for an input picture of this size. */
export function outputSize(config: TrainConfig, width: number, height: number): { width: number; height: number } {
  const scale = config.task === 'superres' ? config.srScale : 1;
  return { width: width * scale, height: height * scale };
}

/** The background transparent pixels are composited on: the one the run trained with (0 or 255). */
function background(config: TrainConfig): number {
  return (config.data == null ? DATASETS[config.dataset].background : config.background) === 'white' ? 255 : 0;
}

/** The picture as [h, w, channels] floats in [−1, 1], composited on the background (gray: Rec. 601 luma). */
function toUnit(p: Picture, channels: number, bg: number): Float32Array {
  const n = p.width * p.height;
  const rgb = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = p.rgba[i * 4 + 3] / 255;
    for (let k = 0; k < 3; k++) rgb[i * 3 + k] = (p.rgba[i * 4 + k] * a + bg * (1 - a)) / 127.5 - 1;
  }
  return channels === 3 ? rgb : luma(rgb, 1, p.height, p.width);
}

/** A mask picture as 1 (missing: luma > 127) or 0 per pixel. */
function maskBits(m: Picture): Float32Array {
  return Float32Array.from({ length: m.width * m.height }, (_, i) =>
    0.299 * m.rgba[i * 4] + 0.587 * m.rgba[i * 4 + 1] + 0.114 * m.rgba[i * 4 + 2] > 127 ? 1 : 0,
  );
}

/** What a picture becomes before G: its input at the output's size, the image itself, and the mask. */
interface Prepared {
  input: Float32Array;
  /** The picture in [−1, 1] at its own size. */
  image: Float32Array;
  width: number;
  height: number;
  masks: Float32Array | null;
}

function prepare(task: ImageTask, config: TrainConfig, item: ApplyItem, name: string): Prepared {
  const c = config.channels;
  const p = item.picture;
  const { width: w, height: h } = p;
  const out = outputSize(config, w, h);
  if (out.width * out.height > MAX_OUTPUT_PIXELS) {
    throw new UsageError(
      `${name}: ${w}×${h} is too large (the output may have at most ${MAX_OUTPUT_PIXELS / 2 ** 20} megapixels)`,
    );
  }
  const image = toUnit(p, c, background(config));
  switch (task) {
    case 'superres':
      return { input: clampUnit(bicubicResize(image, 1, h, w, c, out.height, out.width)), image, ...out, masks: null };
    case 'colorize':
      return { input: c === 3 ? luma(image, 1, h, w) : image, image, width: w, height: h, masks: null };
    case 'translate':
      return { input: image, image, width: w, height: h, masks: null };
    case 'inpaint': {
      const m = item.mask;
      if (m == null)
        throw new UsageError(`${name}: inpainting needs a mask (an image of its size, white where pixels are missing)`);
      if (m.width !== w || m.height !== h)
        throw new UsageError(`${name}: the mask is ${m.width}×${m.height} but the image is ${w}×${h}`);
      const masks = maskBits(m);
      return {
        input: withMaskChannel(applyMask(image, masks, 1, h, w, c, 0), masks, 1, h, w, c),
        image,
        width: w,
        height: h,
        masks,
      };
    }
  }
}

/** [−1, 1] floats [h, w, c] (+ alpha bytes) → bytes, rounded and clamped as everywhere in gantry. */
function toPicture(
  values: Float32Array,
  width: number,
  height: number,
  c: number,
  alpha: Uint8Array | null,
): AppliedPicture {
  const channels = (c + (alpha ? 1 : 0)) as 1 | 2 | 3 | 4;
  const pixels = new Uint8Array(width * height * channels);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < c; k++)
      pixels[i * channels + k] = Math.max(0, Math.min(255, Math.round((values[i * c + k] + 1) * 127.5)));
    if (alpha) pixels[i * channels + c] = alpha[i];
  }
  return { width, height, channels, pixels };
}

/** The input's alpha at the output's size (bicubic for super-resolution), or null for an opaque input. */
function outputAlpha(p: Picture, width: number, height: number): Uint8Array | null {
  if (!p.hasAlpha) return null;
  const alpha = Float32Array.from({ length: p.width * p.height }, (_, i) => p.rgba[i * 4 + 3] / 127.5 - 1);
  const resized = width === p.width ? alpha : clampUnit(bicubicResize(alpha, 1, p.height, p.width, 1, height, width));
  return Uint8Array.from(resized, (v) => Math.round((v + 1) * 127.5));
}

/**
 * The run's generator applied to each item (trained with `--task task`); `names` label the items in errors. The
 * tiles of all items are batched together: an item's pixels do not depend on the others (G runs in inference
 * mode, each tile on its own), so a picture comes out the same alone or among many.
 */
export function applyGenerator(
  generator: Network,
  config: TrainConfig,
  task: ImageTask,
  items: ApplyItem[],
  options: { overlap?: number; names?: string[] } = {},
): AppliedPicture[] {
  const overlap = tileOverlap(config, options.overlap);
  const c = config.channels;
  const prepared = items.map((item, i) => prepare(task, config, item, options.names?.[i] ?? `image ${i + 1}`));
  const cIn = taskInputChannels(task, c);
  const outputs = tiledApplyMany(
    prepared.map((p) => ({ image: p.input, height: p.height, width: p.width })),
    cIn,
    config.imageSize,
    overlap,
    c,
    (tiles, count) => runGenerator(generator, tiles, count),
    TILES_PER_CALL,
  );
  return prepared.map((p, i) => {
    const output = p.masks == null ? outputs[i] : composite(outputs[i], p.image, p.masks, 1, p.height, p.width, c);
    return toPicture(output, p.width, p.height, c, outputAlpha(items[i].picture, p.width, p.height));
  });
}

/**
 * What a user would have without the run, at the output's size: bicubic upscaling, the gray picture, the holes
 * filled with the mean colour of the known pixels, the untranslated picture.
 */
export function applyBaseline(config: TrainConfig, task: ImageTask, item: ApplyItem, name = 'image'): AppliedPicture {
  const p = prepare(task, config, item, name);
  const c = config.channels;
  const { width: w, height: h } = p;
  let values: Float32Array;
  if (task === 'superres') values = p.input;
  else if (task === 'colorize') values = c === 3 ? grayToRgb(p.input, 1, h, w) : p.input;
  else if (task === 'inpaint') values = meanFill(p.image, p.masks!, 1, h, w, c);
  else values = p.image;
  return toPicture(values, w, h, c, outputAlpha(item.picture, w, h));
}
