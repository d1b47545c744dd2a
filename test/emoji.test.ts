import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import type { ImageDataset } from '../src/data/dataset.js';
import {
  EMOJI_STYLES,
  type EmojiStyle,
  emojiCatalog,
  emojiSplit,
  loadEmoji,
  loadEmojiPairs,
} from '../src/data/emoji.js';
import { DataError } from '../src/data/errors.js';
import { decodeImageFile, type FolderOptions } from '../src/data/folder.js';
import { type DataSource, loadData } from '../src/data/index.js';
import { loadPairedFolders } from '../src/data/paired.js';
import { tempDir } from './helpers.js';

const dir = tempDir();
const cacheDir = join(dir, 'cache');
const SIZE = 64 * 64 * 3;
const CATEGORIES = [
  'Activities',
  'Animals & Nature',
  'Component',
  'Flags',
  'Food & Drink',
  'Objects',
  'People & Body',
  'Smileys & Emotion',
  'Symbols',
  'Travel & Places',
];

// Each style is decoded once (the first load fills the cache); every later load reads the cache.
const loaded = new Map<string, ImageDataset>();
async function emoji(style: EmojiStyle, split: 'train' | 'test'): Promise<ImageDataset> {
  const key = `${style}/${split}`;
  if (!loaded.has(key)) loaded.set(key, await loadEmoji(style, split, cacheDir));
  return loaded.get(key)!;
}

test('both styles: 3,786 64×64 RGB images split into 3,428 train and 358 test, labelled by category', async () => {
  for (const style of EMOJI_STYLES) {
    const train = await emoji(style, 'train');
    const held = await emoji(style, 'test');
    assert.deepEqual([train.count, held.count], [3428, 358], style);
    for (const d of [train, held]) {
      assert.equal(d.name, `emoji-${style}`);
      assert.deepEqual([d.height, d.width, d.channels], [64, 64, 3]);
      assert.equal(d.images.length, d.count * SIZE);
      assert.deepEqual(d.classNames, CATEGORIES);
      assert.equal(d.labels!.length, d.count);
      assert.equal(d.keys!.length, d.count);
      assert.ok(d.labels!.every((l) => l < CATEGORIES.length));
    }
    const inTrain = new Set(train.labels);
    assert.equal(inTrain.size, CATEGORIES.length, `every category in train, got ${[...inTrain]}`);
    // Disjoint, and together every image of the package.
    const trainKeys = new Set(train.keys);
    assert.ok(held.keys!.every((k) => !trainKeys.has(k)));
    assert.equal(new Set([...train.keys!, ...held.keys!]).size, 3786);
    // Labels are the catalog's categories (a skin variation has its emoji's category).
    const category = new Map(emojiCatalog(style).map((e) => [e.file, e.category]));
    assert.equal(CATEGORIES[train.labels![train.keys!.indexOf('1f44d-1f3fd.png')]], 'People & Body');
    assert.ok(held.keys!.every((k, i) => category.get(k) === CATEGORIES[held.labels![i]]));
  }
});

test('the held-out emoji are fixed, the same in both styles, and take all their skin-tone variations along', async () => {
  const twitter = await emoji('twitter', 'test');
  const google = await emoji('google', 'test');
  assert.deepEqual(twitter.keys, google.keys);
  // Pinned: changing the split would leak held-out emoji into the training data of earlier runs.
  assert.deepEqual(twitter.keys!.slice(0, 5), [
    '1f194.png',
    '1f1e7-1f1ee.png',
    '1f1e8-1f1e6.png',
    '1f1e8-1f1ec.png',
    '1f1e8-1f1ed.png',
  ]);
  // Santa is held out with all five skin tones; thumbs-up is trained on with all five.
  const santa = [
    '1f385.png',
    '1f385-1f3fb.png',
    '1f385-1f3fc.png',
    '1f385-1f3fd.png',
    '1f385-1f3fe.png',
    '1f385-1f3ff.png',
  ];
  assert.ok(santa.every((k) => twitter.keys!.includes(k)));
  const train = await emoji('twitter', 'train');
  assert.ok(['1f44d.png', '1f44d-1f3fb.png', '1f44d-1f3ff.png'].every((k) => train.keys!.includes(k)));
  // Over the whole catalog: one side per emoji.
  const side = new Map<string, Set<string>>();
  for (const e of emojiCatalog('google'))
    side.set(e.base, (side.get(e.base) ?? new Set()).add(twitter.keys!.includes(e.file) ? 'test' : 'train'));
  assert.ok([...side.values()].every((s) => s.size === 1));
  assert.equal(emojiSplit('1F385'), 'test');
  assert.equal(emojiSplit('1F44D'), 'train');
});

test('transparent pixels become white; the cache returns the same pixels; --dataset names load through loadData', async () => {
  const train = await emoji('google', 'train');
  const pkg = dirname(createRequire(import.meta.url).resolve('emoji-datasource-google/package.json'));
  // The first training image whose top-left pixel is fully transparent in the PNG.
  let found = -1;
  for (let i = 0; i < train.count && found < 0; i++) {
    const raw = await sharp(join(pkg, 'img', 'google', '64', train.keys![i]))
      .ensureAlpha()
      .raw()
      .toBuffer();
    if (raw[3] === 0) found = i;
  }
  assert.ok(found >= 0, 'an emoji with a transparent corner');
  const image = train.images.subarray(found * SIZE, (found + 1) * SIZE);
  assert.deepEqual(Array.from(image.subarray(0, 3)), [255, 255, 255]);
  assert.ok(
    image.some((v) => v < 128),
    `${train.keys![found]} is not blank`,
  );

  // --background black does not apply: the emoji sets are always on white.
  const source: DataSource = {
    dataset: 'emoji-google',
    data: null,
    split: 'train',
    imageSize: 64,
    channels: 3,
    fit: 'crop',
    background: 'black',
    strict: false,
  };
  let progress = 0;
  const viaName = await loadData(source, { cacheDir, progress: () => progress++ });
  assert.equal(progress, 0, 'read from the cache');
  assert.ok(Buffer.from(viaName.images).equals(Buffer.from(train.images)));
  assert.deepEqual(viaName.keys, train.keys);
  // --resolution 32 makes them smaller, as a folder of the same PNGs at --resolution 32 would see them.
  const small = await loadData({ ...source, imageSize: 32 }, { cacheDir });
  assert.deepEqual([small.count, small.height, small.width, small.channels], [train.count, 32, 32, 3]);
  assert.deepEqual(small.keys, train.keys);
  assert.deepEqual(small.labels, train.labels);
  for (const i of [0, found, train.count - 1]) {
    const folder = await decodeImageFile(join(pkg, 'img', 'google', '64', train.keys![i]), {
      resolution: 32,
      channels: 3,
      fit: 'crop',
      background: 'white',
      strict: true,
      cacheDir,
    });
    const ours = small.images.subarray(i * 32 * 32 * 3, (i + 1) * 32 * 32 * 3);
    const meanDiff = ours.reduce((sum, v, k) => sum + Math.abs(v - folder.pixels[k]), 0) / ours.length;
    assert.ok(meanDiff < 2, `${train.keys![i]}: mean difference ${meanDiff} from the folder loader's 32 px image`);
  }
  const refused = (err: Error) =>
    err instanceof DataError &&
    err.message ===
      'emoji-google images are 64×64 with 3 channel(s); --channels applies to image folders, and --resolution can only make them smaller';
  await assert.rejects(loadData({ ...source, imageSize: 128 }, { cacheDir }), refused);
  await assert.rejects(loadData({ ...source, channels: 1 }, { cacheDir }), refused);
});

test('twitter→google pairs: the same code points, different drawings', async () => {
  const pairs = await loadEmojiPairs('twitter', 'google', 'test', cacheDir);
  const twitter = await emoji('twitter', 'test');
  const google = await emoji('google', 'test');
  assert.equal(pairs.name, 'emoji-twitter-to-google');
  assert.equal(pairs.count, 358);
  assert.deepEqual(pairs.keys, google.keys);
  assert.equal(pairs.sourceChannels, 3);
  assert.ok(Buffer.from(pairs.images).equals(Buffer.from(google.images)), 'targets are google');
  assert.ok(Buffer.from(pairs.sources!).equals(Buffer.from(twitter.images)), 'sources are twitter, same order');
  assert.deepEqual(pairs.labels, google.labels);
  let diff = 0;
  for (let k = 0; k < pairs.images.length; k++) diff += Math.abs(pairs.images[k] - pairs.sources![k]);
  const mean = diff / pairs.images.length;
  assert.ok(mean > 10, `twitter and google drawings differ: mean |Δ| ${mean.toFixed(1)}`);
  const reverse = await loadEmojiPairs('google', 'twitter', 'train', cacheDir);
  assert.equal(reverse.count, 3428);
  assert.deepEqual(reverse.keys, (await emoji('twitter', 'train')).keys);
  await assert.rejects(loadEmojiPairs('google', 'google', 'train', cacheDir), /two different styles/);
});

test('paired folders match by relative path without extension, warn about the rest, refuse no match', async () => {
  const solid = (value: number) =>
    sharp(Buffer.alloc(16 * 16 * 3, value), { raw: { width: 16, height: 16, channels: 3 } });
  const write = async (root: string, files: Record<string, number>) => {
    for (const [rel, value] of Object.entries(files)) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      await solid(value).toFile(join(root, rel));
    }
  };
  const a = join(dir, 'edges');
  const b = join(dir, 'photos');
  await write(a, { 'x.png': 10, 'y.png': 20, 'z.png': 30, 'only-a.png': 40 });
  await write(b, { 'x.jpg': 110, 'y.png': 120, 'z.webp': 130 });
  const warnings: string[] = [];
  const o: FolderOptions = {
    resolution: 16,
    channels: 3,
    fit: 'crop',
    background: 'black',
    strict: false,
    cacheDir,
    warn: (m) => warnings.push(m),
  };
  const d = await loadPairedFolders(a, b, o);
  assert.equal(d.count, 3);
  assert.deepEqual(d.keys, ['x.jpg', 'y.png', 'z.webp']);
  assert.equal(d.sourceChannels, 3);
  const first = (pixels: Uint8Array) => Array.from({ length: 3 }, (_, i) => pixels[i * 16 * 16 * 3]);
  assert.deepEqual(first(d.sources!), [10, 20, 30]);
  assert.deepEqual(
    first(d.images).map((v) => Math.round(v / 10)),
    [11, 12, 13],
    'targets in order (JPEG within a level)',
  );
  assert.deepEqual(warnings, [`1 image(s) in ${a} have no match in the other folder and are left out: only-a.png`]);

  const c = join(dir, 'unrelated');
  await write(c, { 'p.png': 1, 'q.png': 2 });
  await assert.rejects(
    loadPairedFolders(a, c, o),
    (err: Error) =>
      err instanceof DataError && !err.message.includes('\n') && /have no images with matching names/.test(err.message),
  );
  const twice = join(dir, 'twice');
  await write(twice, { 'x.png': 1, 'x.jpg': 2 });
  await assert.rejects(
    loadPairedFolders(twice, b, o),
    /1 name\(s\) are used by two images, so their pairs are ambiguous: x\.jpg and x\.png/,
  );
});
