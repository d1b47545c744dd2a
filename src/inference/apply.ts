/**
 * A trained image-to-image run applied to image files: `gantry upscale|colorize|inpaint|translate IN OUT` on one
 * file or on a whole folder (recursively, the same relative paths under OUT), and the library's `applyRun`. Files
 * are decoded and encoded here with sharp; the pixels come from image2image/apply.ts, which the studio's Apply
 * view and `gantry/web` run too. The generator is loaded once and the tiles of many pictures share its batches.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import sharp from 'sharp';
import type { TrainConfig } from '../config.js';
import { UsageError } from '../errors.js';
import {
  type AppliedPicture,
  type ApplyItem,
  applyGenerator,
  checkRunTask,
  MAX_OUTPUT_PIXELS,
  outputSize,
  type Picture,
  TASK_COMMANDS,
  tileOverlap,
} from '../image2image/apply.js';
import type { ImageTask } from '../image2image/task.js';
import { writeFileAtomic } from '../io/files.js';
import type { Network } from '../networks/network.js';
import { loadRunGenerator } from './sample.js';

export { TASK_COMMANDS };

const FORMATS: Record<string, 'png' | 'jpeg' | 'webp'> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.webp': 'webp',
};
/** Pictures decoded, applied and written together in a folder run: bounds memory, keeps G's batches full. */
const PICTURES_PER_GROUP = 64;

export interface ApplyOptions {
  runDir: string;
  input: string;
  output: string;
  /** Inpainting: the mask image (for a folder: a folder of masks matched by relative path or name, or one mask). */
  mask?: string;
  /** Pixels by which neighbouring tiles overlap (default: a quarter of the tile). */
  overlap?: number;
}

export interface FolderOptions extends ApplyOptions {
  /** Replace files already in the output folder (default: refuse to start). */
  overwrite?: boolean;
  /** An unreadable input or mask is an error (default: skipped with a warning). */
  strict?: boolean;
  /** Called after each group of pictures is written. */
  onProgress?: (done: number, total: number) => void;
  /** Called for each input skipped, with the reason. */
  onSkip?: (file: string, reason: string) => void;
}

/** Decodes a PNG, JPEG or WebP file (EXIF orientation applied) to RGBA bytes; a user error naming it otherwise. */
export async function readPicture(path: string, what = 'input'): Promise<Picture> {
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

/** The format a file name asks for, or a user error. */
function formatOf(path: string): 'png' | 'jpeg' | 'webp' {
  const format = FORMATS[extname(path).toLowerCase()];
  if (format == null) throw new UsageError(`${path}: the output must end in .png, .jpg, .jpeg or .webp`);
  return format;
}

/** An applied picture encoded as `format`: the same bytes whichever command or API made it. */
export async function encodePicture(p: AppliedPicture, format: 'png' | 'jpeg' | 'webp'): Promise<Uint8Array> {
  return sharp(p.pixels, { raw: { width: p.width, height: p.height, channels: p.channels } })
    .toFormat(format)
    .toBuffer();
}

/** A run folder's generator for `task`, or the user error saying what the run was trained for. */
function loadTaskRun(runDir: string, task?: ImageTask): { generator: Network; config: TrainConfig; task: ImageTask } {
  const { generator, config } = loadRunGenerator(runDir);
  const trained = config.task;
  try {
    if (trained === 'none' && task == null)
      throw new UsageError(`--run ${runDir} was trained as a GAN from latent noise, not an image-to-image --task`);
    if (task != null) checkRunTask(config, task, `--run ${runDir}`);
  } catch (err) {
    generator.store.dispose();
    throw err;
  }
  return { generator, config, task: trained as ImageTask };
}

/**
 * The run in `runDir` (trained with `--task superres|colorize|inpaint|translate`) applied to pictures or image
 * files; `masks` (inpainting) pairs one mask with each image, or gives one for all. Returns the output pixels.
 */
export async function applyRun(
  runDir: string,
  images: (string | Picture)[],
  options: { masks?: (string | Picture)[]; overlap?: number } = {},
): Promise<AppliedPicture[]> {
  const read = (x: string | Picture, what: string) => (typeof x === 'string' ? readPicture(x, what) : x);
  const pictures = await Promise.all(images.map((x) => read(x, 'input')));
  const masks = await Promise.all((options.masks ?? []).map((x) => read(x, 'mask')));
  if (masks.length > 1 && masks.length !== pictures.length)
    throw new UsageError(`${masks.length} masks for ${pictures.length} images: give one mask, or one per image`);
  const run = loadTaskRun(runDir);
  try {
    const items = pictures.map((picture, i) => ({ picture, mask: masks.length > 1 ? masks[i] : masks[0] }));
    const names = images.map((x, i) => (typeof x === 'string' ? x : `image ${i + 1}`));
    return applyGenerator(run.generator, run.config, run.task, items, { overlap: options.overlap, names });
  } finally {
    run.generator.store.dispose();
  }
}

/** Applies the run in `runDir` (trained with `--task task`) to one file; returns the output's size. */
export async function applyToFile(task: ImageTask, options: ApplyOptions): Promise<{ width: number; height: number }> {
  const format = formatOf(options.output);
  const picture = await readPicture(options.input, 'input');
  if (task === 'inpaint' && options.mask == null)
    throw new UsageError('--mask <file> is required: an image the size of the input, white where pixels are missing');
  const mask = options.mask == null ? undefined : await readPicture(options.mask, '--mask');
  const run = loadTaskRun(options.runDir, task);
  try {
    const [out] = applyGenerator(run.generator, run.config, task, [{ picture, mask }], {
      overlap: options.overlap,
      names: [`input ${options.input}`],
    });
    writeFileAtomic(options.output, await encodePicture(out, format));
    return { width: out.width, height: out.height };
  } finally {
    run.generator.store.dispose();
  }
}

/** Image files under `dir`, recursively, as paths relative to it (sorted, `/`-separated on every platform). */
export function listImages(dir: string): string[] {
  const found: string[] = [];
  const walk = (sub: string) => {
    for (const entry of readdirSync(join(dir, sub), { withFileTypes: true })) {
      const rel = sub === '' ? entry.name : `${sub}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.isFile() && FORMATS[extname(entry.name).toLowerCase()] != null) found.push(rel);
    }
  };
  walk('');
  return found.sort();
}

/** The mask for `rel` in a folder of masks: the same relative path with any image extension, else the same name. */
function maskFileFor(maskDir: string, rel: string): string | null {
  const stem = rel.slice(0, rel.length - extname(rel).length);
  const name = stem.slice(stem.lastIndexOf('/') + 1);
  for (const base of [stem, name]) {
    for (const ext of Object.keys(FORMATS)) {
      const path = join(maskDir, base + ext);
      if (existsSync(path)) return path;
    }
  }
  return null;
}

/**
 * Applies the run to every image under the folder `options.input`, writing the same relative paths under
 * `options.output` (same format as each input). Refuses to start if any output exists (unless `overwrite`);
 * unreadable inputs or masks are skipped (an error with `strict`). Returns the counts.
 */
export async function applyToFolder(
  task: ImageTask,
  options: FolderOptions,
): Promise<{ written: number; skipped: number }> {
  const inDir = resolve(options.input),
    outDir = resolve(options.output);
  if (outDir === inDir || outDir.startsWith(inDir + sep))
    throw new UsageError(`${options.output}: the output folder must not lie inside the input folder ${options.input}`);
  if (existsSync(outDir) && !statSync(outDir).isDirectory())
    throw new UsageError(`${options.output}: the input is a folder, so the output must be a folder too`);
  const files = listImages(inDir);
  if (files.length === 0) throw new UsageError(`${options.input}: no PNG, JPEG or WebP images in this folder`);
  if (!options.overwrite) {
    const existing = files.filter((rel) => existsSync(join(outDir, rel)));
    if (existing.length > 0) {
      const more = existing.length > 1 ? ` (and ${existing.length - 1} more)` : '';
      throw new UsageError(`${join(options.output, existing[0])} exists${more}: pass --overwrite to replace`);
    }
  }
  let sharedMask: Picture | undefined;
  let maskDir: string | null = null;
  if (task === 'inpaint') {
    if (options.mask == null)
      throw new UsageError('--mask is required: a folder of masks matched by file name, or one mask for all images');
    if (existsSync(options.mask) && statSync(options.mask).isDirectory()) maskDir = options.mask;
    else sharedMask = await readPicture(options.mask, '--mask');
  }
  const run = loadTaskRun(options.runDir, task);
  try {
    const overlap = tileOverlap(run.config, options.overlap);
    let written = 0,
      skipped = 0;
    const skip = (file: string, reason: string) => {
      if (options.strict) throw new UsageError(`${reason} (--strict)`);
      skipped++;
      options.onSkip?.(file, reason);
    };
    for (let first = 0; first < files.length; first += PICTURES_PER_GROUP) {
      const group = files.slice(first, first + PICTURES_PER_GROUP);
      const read = await Promise.all(
        group.map(async (rel): Promise<{ rel: string; item: ApplyItem } | { rel: string; error: string }> => {
          const path = join(inDir, rel);
          try {
            const picture = await readPicture(path, 'input');
            const size = outputSize(run.config, picture.width, picture.height);
            if (size.width * size.height > MAX_OUTPUT_PIXELS)
              return { rel, error: `${path}: ${picture.width}×${picture.height} is too large for this run` };
            if (task !== 'inpaint') return { rel, item: { picture } };
            const maskPath = maskDir == null ? null : maskFileFor(maskDir, rel);
            if (maskDir != null && maskPath == null) return { rel, error: `${path}: no mask for it in ${maskDir}` };
            const mask = maskPath == null ? sharedMask : await readPicture(maskPath, '--mask');
            if (mask != null && (mask.width !== picture.width || mask.height !== picture.height)) {
              return {
                rel,
                error: `${path}: the mask is ${mask.width}×${mask.height} but the image is ${picture.width}×${picture.height}`,
              };
            }
            return { rel, item: { picture, mask } };
          } catch (err) {
            return { rel, error: (err as Error).message };
          }
        }),
      );
      const ok: { rel: string; item: ApplyItem }[] = [];
      for (const r of read) {
        if ('error' in r) skip(join(inDir, r.rel), r.error);
        else ok.push(r);
      }
      const outputs = applyGenerator(
        run.generator,
        run.config,
        task,
        ok.map((r) => r.item),
        { overlap, names: ok.map((r) => join(options.input, r.rel)) },
      );
      await Promise.all(
        outputs.map(async (out, i) => {
          const rel = ok[i].rel;
          writeFileAtomic(join(outDir, rel), await encodePicture(out, formatOf(rel)));
        }),
      );
      written += ok.length;
      options.onProgress?.(first + group.length, files.length);
    }
    return { written, skipped };
  } finally {
    run.generator.store.dispose();
  }
}
