/**
 * The emoji data sets: the 64×64 images of the npm packages emoji-datasource-twitter and
 * emoji-datasource-google (v16: 3,786 images each, 1,911 emoji and 1,875 skin-tone variations), as RGB with
 * transparency composited on white, labelled by category.
 *
 * - Classes: the categories of emoji.json sorted by name (Activities, Animals & Nature, Component, Flags,
 *   Food & Drink, Objects, People & Body, Smileys & Emotion, Symbols, Travel & Places). "Component" (the five
 *   skin-tone swatches, plain coloured squares) stays a class of its own: it looks like no other category.
 *   Skin-tone variations take their emoji's category.
 * - Split: an emoji is held out ('test') when the SHA-256 of its base code point (emoji.json `unified`, e.g.
 *   "1F385") is 0 mod 10, so about a tenth; all its skin-tone variations go with it, and the same emoji are
 *   held out in every style (what translation between styles needs). 'train' is the rest.
 * - Order: by image file name; `keys` are the file names (e.g. "1f385-1f3fb.png"), the same in both styles.
 *
 * Decoding goes through loadImageFolder on the package's img/<style>/64 folder, so the pixels are cached.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageDataset } from './dataset.js';
import { DataError } from './errors.js';
import { listFirst, loadImageFolder } from './folder.js';
import { pairImages, selectImages } from './paired.js';
import type { Split } from './set.js';

export const EMOJI_STYLES = ['twitter', 'google'] as const;
export type EmojiStyle = (typeof EMOJI_STYLES)[number];

/** The images are this size in the packages' img/<style>/64 folders. */
export const EMOJI_SIZE = 64;

interface EmojiVariation {
  unified: string;
  image: string;
  [hasImage: `has_img_${string}`]: boolean;
}

interface EmojiEntry extends EmojiVariation {
  category: string;
  skin_variations?: Record<string, EmojiVariation>;
}

/** One image of a package: its code point(s), file, category and the base emoji it belongs to. */
export interface EmojiImage {
  unified: string;
  file: string;
  category: string;
  base: string;
}

export interface EmojiHooks {
  progress?: (done: number, total: number) => void;
  warn?: (message: string) => void;
}

/** 'test' for about one emoji in ten (all of its variations with it), by a hash of its base code point. */
export function emojiSplit(baseUnified: string): Split {
  return createHash('sha256').update(baseUnified).digest().readUInt32BE(0) % 10 === 0 ? 'test' : 'train';
}

/** The package folder of a style; a DataError when it is not installed. */
function packageDir(style: EmojiStyle): string {
  const name = `emoji-datasource-${style}`;
  try {
    return dirname(createRequire(import.meta.url).resolve(`${name}/package.json`));
  } catch {
    throw new DataError(`the npm package ${name} is not installed (run npm ci)`);
  }
}

/** The images a style has, from its emoji.json: each emoji, then its skin-tone variations. */
export function emojiCatalog(style: EmojiStyle): EmojiImage[] {
  const file = join(packageDir(style), 'emoji.json');
  const entries = JSON.parse(readFileSync(file, 'utf8')) as EmojiEntry[];
  const images: EmojiImage[] = [];
  for (const e of entries) {
    const base = e.unified;
    for (const v of [e, ...Object.values(e.skin_variations ?? {})]) {
      if (v[`has_img_${style}`]) images.push({ unified: v.unified, file: v.image, category: e.category, base });
    }
  }
  if (images.length === 0) throw new DataError(`${file} lists no ${style} images`);
  return images;
}

/** All of a style's images in file-name order, decoded (or read from the cache), with their catalog entries. */
async function loadStyle(
  style: EmojiStyle,
  cacheDir: string,
  hooks: EmojiHooks,
): Promise<{ all: ImageDataset; catalog: EmojiImage[] }> {
  const byFile = new Map(emojiCatalog(style).map((e) => [e.file, e]));
  const dir = join(packageDir(style), 'img', style, String(EMOJI_SIZE));
  const folder = await loadImageFolder(dir, {
    resolution: EMOJI_SIZE,
    channels: 3,
    fit: 'crop',
    background: 'white',
    strict: true,
    cacheDir,
    progress: hooks.progress,
    warn: hooks.warn,
  });
  const present = new Set(folder.keys);
  const missing = [...byFile.keys()].filter((f) => !present.has(f));
  if (missing.length > 0)
    throw new DataError(
      `${dir} lacks ${missing.length} image(s) that emoji.json lists: ${listFirst(missing)} (run npm ci)`,
    );
  const kept = folder.keys!.flatMap((f, i) => (byFile.has(f) ? [i] : []));
  const classNames = [...new Set(Array.from(byFile.values(), (e) => e.category))].sort();
  const label = new Map(classNames.map((c, i) => [c, i]));
  const all = { ...selectImages(folder, kept, `emoji-${style}`), classNames };
  const catalog = all.keys!.map((f) => byFile.get(f)!);
  all.labels = Uint8Array.from(catalog, (e) => label.get(e.category)!);
  return { all, catalog };
}

/** One split of an emoji style: 64×64×3 images on white, labelled by category, keyed by file name. */
export async function loadEmoji(
  style: EmojiStyle,
  split: Split,
  cacheDir: string,
  hooks: EmojiHooks = {},
): Promise<ImageDataset> {
  const { all, catalog } = await loadStyle(style, cacheDir, hooks);
  return selectImages(
    all,
    catalog.flatMap((e, i) => (emojiSplit(e.base) === split ? [i] : [])),
  );
}

/**
 * One split of paired emoji for translation from one style to another: the target style's images (labels,
 * keys) with the source style's drawing of the same code point in `sources`; code points that lack an image
 * in either style are left out.
 */
export async function loadEmojiPairs(
  sourceStyle: EmojiStyle,
  targetStyle: EmojiStyle,
  split: Split,
  cacheDir: string,
  hooks: EmojiHooks = {},
): Promise<ImageDataset> {
  if (sourceStyle === targetStyle)
    throw new DataError(`emoji pairs need two different styles, not ${sourceStyle} twice`);
  const source = await loadStyle(sourceStyle, cacheDir, hooks);
  const target = await loadStyle(targetStyle, cacheDir, hooks);
  const sourceIndex = new Map(source.catalog.map((e, i) => [e.unified, i]));
  const pairs = target.catalog.flatMap((e, t): [number, number][] => {
    const s = sourceIndex.get(e.unified);
    return s != null && emojiSplit(e.base) === split ? [[s, t]] : [];
  });
  return pairImages(`emoji-${sourceStyle}-to-${targetStyle}`, source.all, target.all, pairs);
}
