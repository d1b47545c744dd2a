/**
 * A folder of the user's images (PNG, JPEG, WebP, searched recursively) as a data set: decoded with sharp,
 * auto-oriented, alpha composited on a background, center-cropped or padded to a square, resized with
 * Lanczos-3 to the resolution, gray or sRGB. Classes are the first-level subfolders.
 *
 * The first pass writes a cache (one .bin of pixels + a .json index keyed by the files' paths, sizes and
 * mtimes and the options); later runs with the same files and options read it instead of decoding again.
 * The data set's `keys` are the images' paths relative to the folder, in the order of the images.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../io/files.js';
import type { ImageDataset } from './dataset.js';
import { DataError } from './errors.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'];

export interface FolderOptions {
  resolution: number;
  channels: 1 | 3;
  fit: 'crop' | 'pad';
  /** What transparent pixels (and padding) become. */
  background: 'black' | 'white';
  /** Make unreadable and non-image files an error instead of a warning. */
  strict: boolean;
  cacheDir: string;
  progress?: (done: number, total: number) => void;
  warn?: (message: string) => void;
}

interface SourceFile {
  rel: string;
  size: number;
  mtimeMs: number;
}

interface CacheIndex {
  version: 1;
  key: string;
  count: number;
  classNames: string[] | null;
  labels: number[] | null;
  files: string[];
}

const CACHE_VERSION = 1;

function walk(root: string): { images: SourceFile[]; others: string[] } {
  const images: SourceFile[] = [];
  const others: string[] = [];
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else if (entry.isFile()) {
        const rel = relative(root, path);
        if (IMAGE_EXTENSIONS.some((e) => entry.name.toLowerCase().endsWith(e))) {
          const st = statSync(path);
          images.push({ rel, size: st.size, mtimeMs: st.mtimeMs });
        } else {
          others.push(rel);
        }
      }
    }
  };
  visit(root);
  return { images, others };
}

/** The first few items and how many more, for one-line messages. */
export function listFirst(items: string[], n = 3): string {
  return items.slice(0, n).join(', ') + (items.length > n ? `, … (${items.length - n} more)` : '');
}

/** Class names and per-image labels from first-level subfolders, or none when every image is at the top. */
function classesOf(
  root: string,
  images: SourceFile[],
  warn: (m: string) => void,
): { classNames: string[] | null; labels: number[] | null } {
  const top = images.filter((f) => !f.rel.includes(sep));
  if (top.length === images.length) return { classNames: null, labels: null };
  if (top.length > 0) {
    throw new DataError(
      `${root} mixes images at its top level (${listFirst(top.map((f) => f.rel))}) with class folders; move them into a class folder`,
    );
  }
  const withImages = new Set(images.map((f) => f.rel.split(sep)[0]));
  const folders = readdirSync(root, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
  const empty = folders.filter((f) => !withImages.has(f));
  if (empty.length > 0)
    warn(
      `class folder${empty.length > 1 ? 's' : ''} ${listFirst(empty.map((f) => join(root, f)))} ha${empty.length > 1 ? 've' : 's'} no images and ${empty.length > 1 ? 'are' : 'is'} left out`,
    );
  const classNames = folders.filter((f) => withImages.has(f));
  const index = new Map(classNames.map((c, i) => [c, i]));
  return { classNames, labels: images.map((f) => index.get(f.rel.split(sep)[0])!) };
}

export async function decodeImageFile(path: string, o: FolderOptions): Promise<{ pixels: Buffer; upsampled: boolean }> {
  const background = o.background === 'white' ? { r: 255, g: 255, b: 255 } : { r: 0, g: 0, b: 0 };
  const meta = await sharp(path).metadata();
  if (meta.width == null || meta.height == null) throw new Error('no image size');
  const upright = (meta.orientation ?? 1) >= 5 ? { w: meta.height, h: meta.width } : { w: meta.width, h: meta.height };
  let image = sharp(path)
    .rotate()
    .flatten({ background })
    .removeAlpha()
    .resize(o.resolution, o.resolution, {
      fit: o.fit === 'crop' ? 'cover' : 'contain',
      position: 'centre',
      kernel: 'lanczos3',
      background,
    });
  image = o.channels === 1 ? image.toColourspace('b-w') : image.toColourspace('srgb');
  const { data, info } = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== o.channels || data.length !== o.resolution * o.resolution * o.channels) {
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}`);
  }
  const covered = o.fit === 'crop' ? Math.min(upright.w, upright.h) : Math.max(upright.w, upright.h);
  return { pixels: data, upsampled: covered < o.resolution };
}

export async function loadImageFolder(path: string, o: FolderOptions): Promise<ImageDataset> {
  const root = resolve(path);
  const warn = o.warn ?? (() => {});
  if (!existsSync(root)) throw new DataError(`${path} does not exist`);
  if (!statSync(root).isDirectory()) throw new DataError(`${path} is not a folder`);
  const { images: found, others } = walk(root);
  if (found.length === 0 && others.length === 0) throw new DataError(`${path} is empty`);
  if (found.length === 0) {
    throw new DataError(
      `${path} holds no images (${IMAGE_EXTENSIONS.join(', ')}); found ${others.length} other file(s): ${listFirst(others)}`,
    );
  }
  if (o.strict && others.length > 0)
    throw new DataError(`${path}: ${others.length} file(s) are not images (--strict): ${listFirst(others)}`);

  const settings = { resolution: o.resolution, channels: o.channels, fit: o.fit, background: o.background };
  const key = createHash('sha256')
    .update(JSON.stringify({ v: CACHE_VERSION, root, settings, files: found.map((f) => [f.rel, f.size, f.mtimeMs]) }))
    .digest('hex');
  const cacheBase = join(o.cacheDir, 'folders', key.slice(0, 32));
  const size = o.resolution * o.resolution * o.channels;
  const name = basename(root);
  const cached = readCache(cacheBase, key, size);
  if (cached != null) {
    return {
      name,
      images: cached.images,
      labels: cached.labels,
      classNames: cached.classNames,
      count: cached.count,
      height: o.resolution,
      width: o.resolution,
      channels: o.channels,
      keys: cached.files,
    };
  }

  const unreadable: string[] = [];
  const upsampled: string[] = [];
  const decoded: (Buffer | null)[] = new Array(found.length).fill(null);
  let done = 0;
  let next = 0;
  const worker = async () => {
    while (next < found.length) {
      const i = next++;
      try {
        const r = await decodeImageFile(join(root, found[i].rel), o);
        decoded[i] = r.pixels;
        if (r.upsampled) upsampled.push(found[i].rel);
      } catch {
        unreadable.push(found[i].rel);
      }
      o.progress?.(++done, found.length);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  unreadable.sort();
  upsampled.sort();
  if (unreadable.length > 0) {
    if (o.strict)
      throw new DataError(
        `${path}: ${unreadable.length} image file(s) cannot be decoded (--strict): ${listFirst(unreadable)}`,
      );
  }
  const skipped = [...others, ...unreadable];
  if (skipped.length > 0)
    warn(
      `skipped ${skipped.length} file(s) that are not readable images: ${listFirst(skipped)} (--strict makes this an error)`,
    );
  if (upsampled.length > 0)
    warn(
      `${upsampled.length} image(s) smaller than ${o.resolution}×${o.resolution} were upsampled: ${listFirst(upsampled)}`,
    );

  const kept = found.filter((_, i) => decoded[i] != null);
  if (kept.length === 0)
    throw new DataError(
      `${path}: none of the ${found.length} image file(s) could be decoded: ${listFirst(unreadable)}`,
    );
  const { classNames, labels } = classesOf(root, kept, warn);
  const pixels = new Uint8Array(kept.length * size);
  decoded.filter((d): d is Buffer => d != null).forEach((d, i) => pixels.set(d, i * size));
  const index: CacheIndex = {
    version: CACHE_VERSION,
    key,
    count: kept.length,
    classNames,
    labels,
    files: kept.map((f) => f.rel),
  };
  writeFileAtomic(`${cacheBase}.bin`, pixels);
  writeFileAtomic(`${cacheBase}.json`, JSON.stringify(index));
  return {
    name,
    images: pixels,
    labels: labels ? Uint8Array.from(labels) : null,
    classNames,
    count: kept.length,
    height: o.resolution,
    width: o.resolution,
    channels: o.channels,
    keys: index.files,
  };
}

function readCache(
  base: string,
  key: string,
  size: number,
): {
  images: Uint8Array;
  labels: Uint8Array | null;
  classNames: string[] | null;
  count: number;
  files: string[];
} | null {
  try {
    const index = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as CacheIndex;
    if (index.version !== CACHE_VERSION || index.key !== key) return null;
    const images = new Uint8Array(readFileSync(`${base}.bin`));
    if (images.length !== index.count * size || index.files?.length !== index.count) return null;
    return {
      images,
      labels: index.labels ? Uint8Array.from(index.labels) : null,
      classNames: index.classNames,
      count: index.count,
      files: index.files,
    };
  } catch {
    return null;
  }
}

/** What a folder of pictures holds, for choosing how to train on it (config.ts `folderDefaults`). */
export interface FolderSurvey {
  /** Image files found (recursively). */
  count: number;
  /** The median of the sampled images' shorter sides, in pixels. */
  side: number;
  /** Every sampled image is gray (one channel, with or without alpha, or equal colour channels). */
  gray: boolean;
  /** Whether any sampled image has transparency. */
  alpha: boolean;
  /** First-level subfolders holding images (classes), or 0 when every image is at the top. */
  classes: number;
}

/**
 * Surveys an image folder: counts its images and reads the size and colour of up to `sample` of them; null when
 * there is nothing to survey (no such folder, no readable images: the loader says what is wrong).
 */
export async function surveyFolder(path: string, sample = 64): Promise<FolderSurvey | null> {
  if (!existsSync(path) || !statSync(path).isDirectory()) return null;
  const { images } = walk(path);
  if (images.length === 0) return null;
  const step = Math.max(1, Math.floor(images.length / sample));
  const picked = images.filter((_, i) => i % step === 0).slice(0, sample);
  const sides: number[] = [];
  let gray = true,
    alpha = false;
  for (const file of picked) {
    try {
      const image = sharp(join(path, file.rel));
      const meta = await image.metadata();
      if (meta.width == null || meta.height == null) continue;
      sides.push(Math.min(meta.width, meta.height));
      alpha ||= meta.hasAlpha === true;
      if (gray && (meta.channels ?? 3) - (meta.hasAlpha ? 1 : 0) >= 3) {
        // A colour file may hold a gray picture: equal channels everywhere (small thumbnail, to be quick).
        const { data } = await image
          .removeAlpha()
          .resize(16, 16, { fit: 'fill' })
          .raw()
          .toBuffer({ resolveWithObject: true });
        for (let i = 0; i < data.length && gray; i += 3) gray = data[i] === data[i + 1] && data[i + 1] === data[i + 2];
      }
    } catch {
      // Unreadable: the loader reports it.
    }
  }
  if (sides.length === 0) return null;
  sides.sort((a, b) => a - b);
  const top = images.filter((f) => !f.rel.includes(sep)).length;
  const classes = top === images.length ? 0 : new Set(images.map((f) => f.rel.split(sep)[0])).size;
  return { count: images.length, side: sides[Math.floor(sides.length / 2)], gray, alpha, classes };
}
