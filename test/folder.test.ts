import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { DataError } from '../src/data/errors.js';
import { type FolderOptions, loadImageFolder } from '../src/data/folder.js';
import { gantry, makeDigitFolder, tempDir } from './helpers.js';

const dir = tempDir();
const cacheDir = join(dir, 'cache');
const options = (extra: Partial<FolderOptions> = {}): FolderOptions & { warnings: string[] } => {
  const warnings: string[] = [];
  return {
    resolution: 32,
    channels: 3,
    fit: 'crop',
    background: 'black',
    strict: false,
    cacheDir,
    warn: (m) => warnings.push(m),
    warnings,
    ...extra,
  };
};

const digits = join(dir, 'digits');

test('a folder of mixed PNG, JPEG and WebP images loads at 32×32 RGB with classes from subfolders, cached', async () => {
  await makeDigitFolder(digits, 300, 3);
  const o = options();
  const d = await loadImageFolder(digits, o);
  assert.equal(d.count, 300);
  assert.deepEqual([d.height, d.width, d.channels], [32, 32, 3]);
  assert.deepEqual(d.classNames, ['digit-0', 'digit-1', 'digit-2']);
  // A quarter of the pictures are 28×28 and a quarter 30×44 (cropped to 30×30): upsampled, with a warning.
  assert.deepEqual(o.warnings.length, 1);
  assert.match(o.warnings[0], /^150 image\(s\) smaller than 32×32 were upsampled: digit-0\/0000\.png, /);
  // Tinted digits: the first image (class 0, red tint) has bright red and dark pixels.
  const first = d.images.subarray(0, 32 * 32 * 3);
  let maxRed = 0,
    maxBlue = 0;
  for (let p = 0; p < 1024; p++) {
    maxRed = Math.max(maxRed, first[p * 3]);
    maxBlue = Math.max(maxBlue, first[p * 3 + 2]);
  }
  assert.ok(maxRed > 200 && maxBlue < 90, `red digit: max red ${maxRed}, max blue ${maxBlue}`);
  // The second load reads the cache: identical pixels, no decoding (no progress calls).
  let decoded = 0;
  const again = await loadImageFolder(digits, options({ progress: () => decoded++ }));
  assert.equal(decoded, 0);
  assert.ok(Buffer.from(again.images).equals(Buffer.from(d.images)));
  assert.equal(readdirSync(join(cacheDir, 'folders')).length, 2);
  // A changed file invalidates the cache; other options make another cache entry.
  const someFile = join(digits, 'digit-0', readdirSync(join(digits, 'digit-0'))[0]);
  utimesSync(someFile, new Date(), new Date(Date.now() + 5000));
  await loadImageFolder(digits, options({ progress: () => decoded++ }));
  assert.equal(decoded, 300);
  const gray = await loadImageFolder(digits, options({ channels: 1, resolution: 28 }));
  assert.deepEqual([gray.height, gray.channels], [28, 1]);
});

async function folderWith(name: string, files: Record<string, Buffer | string>): Promise<string> {
  const root = join(dir, name);
  mkdirSync(root, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
  return root;
}

const png = (w: number, h: number, channels: 1 | 2 | 3 | 4, value = 200) =>
  sharp(Buffer.alloc(w * h * channels, value), { raw: { width: w, height: h, channels } })
    .png()
    .toBuffer();

test('unusual but valid images decode: 16-bit PNG, gray with alpha, CMYK JPEG, mixed sizes, tiny ones upsampled', async () => {
  const sixteen = await sharp(Buffer.alloc(40 * 40 * 3, 128), { raw: { width: 40, height: 40, channels: 3 } })
    .toColourspace('rgb16')
    .png()
    .toBuffer();
  const grayAlpha = await sharp(Buffer.from(Array.from({ length: 36 * 36 }, (_, i) => [255, i % 2 ? 255 : 0]).flat()), {
    raw: { width: 36, height: 36, channels: 2 },
  })
    .png()
    .toBuffer();
  const cmyk = await sharp(Buffer.alloc(48 * 40 * 3, 90), { raw: { width: 48, height: 40, channels: 3 } })
    .toColourspace('cmyk')
    .jpeg()
    .toBuffer();
  assert.equal((await sharp(cmyk).metadata()).space, 'cmyk');
  assert.equal((await sharp(sixteen).metadata()).depth, 'ushort');
  const root = await folderWith('unusual', {
    'a16.png': sixteen,
    'b-ga.png': grayAlpha,
    'c-cmyk.jpg': cmyk,
    'd-tiny.png': await png(8, 8, 3),
    'e-wide.webp': await sharp(await png(90, 30, 4))
      .webp()
      .toBuffer(),
  });
  const o = options({ background: 'white' });
  const d = await loadImageFolder(root, o);
  assert.equal(d.count, 5);
  assert.equal(d.classNames, null);
  const px = (i: number) => Array.from(d.images.subarray(i * 3072, i * 3072 + 3));
  assert.ok(
    px(0).every((v) => Math.abs(v - 128) <= 1),
    `16-bit PNG scaled to 8 bits, got ${px(0)}`,
  );
  // Gray+alpha: half the pixels transparent over white, the rest white too (value 255): all white.
  assert.deepEqual(px(1), [255, 255, 255]);
  const c = px(2);
  assert.ok(c.every((v) => Math.abs(v - c[0]) < 6) && c[0] > 60, `CMYK converted to sRGB gray, got ${c}`);
  // 8×8, and 90×30 center-cropped to 30×30: both smaller than 32×32.
  assert.match(o.warnings.join('\n'), /2 image\(s\) smaller than 32×32 were upsampled: d-tiny\.png, e-wide\.webp/);
});

test('bad folders are refused with a message naming the folder or files', async () => {
  const empty = await folderWith('empty', {});
  await assert.rejects(loadImageFolder(empty, options()), /empty is empty$/);
  const noImages = await folderWith('no-images', { 'notes.txt': 'hello', 'data.csv': '1,2' });
  await assert.rejects(
    loadImageFolder(noImages, options()),
    /no-images holds no images \(\.png, \.jpg, \.jpeg, \.webp\); found 2 other file\(s\): data\.csv, notes\.txt/,
  );
  await assert.rejects(loadImageFolder(join(dir, 'nowhere'), options()), /nowhere does not exist/);
  const mixed = await folderWith('mixed-levels', {
    'top.png': await png(32, 32, 3),
    'cats/a.png': await png(32, 32, 3),
  });
  await assert.rejects(
    loadImageFolder(mixed, options()),
    /mixes images at its top level \(top\.png\) with class folders/,
  );

  // Unreadable and non-image files: skipped with a count and the first few names, or an error with --strict.
  const broken = await folderWith('broken', {
    'a/ok1.png': await png(32, 32, 3),
    'a/ok2.png': await png(32, 32, 3),
    'a/fake.png': 'not a png',
    'a/cut.jpg': (
      await sharp(await png(64, 64, 3))
        .jpeg()
        .toBuffer()
    ).subarray(0, 40),
    'b/ok3.png': await png(32, 32, 3),
    'b/readme.txt': 'x',
    'c-empty/.keep': '',
  });
  const o = options();
  const d = await loadImageFolder(broken, o);
  assert.equal(d.count, 3);
  assert.deepEqual(d.classNames, ['a', 'b']);
  const warnings = o.warnings.join('\n');
  assert.match(
    warnings,
    /skipped 3 file\(s\) that are not readable images: b\/readme\.txt, a\/cut\.jpg, a\/fake\.png \(--strict makes this an error\)/,
  );
  assert.match(warnings, /class folder .*c-empty has no images and is left out/);
  await assert.rejects(
    loadImageFolder(broken, options({ strict: true })),
    (err: Error) =>
      err instanceof DataError && /1 file\(s\) are not images \(--strict\): b\/readme\.txt/.test(err.message),
  );
  const onlyBroken = await folderWith('only-broken', { 'x.png': 'garbage', 'y.jpg': 'garbage' });
  await assert.rejects(
    loadImageFolder(onlyBroken, options()),
    /none of the 2 image file\(s\) could be decoded: x\.png, y\.jpg/,
  );

  // Through the CLI: one line, exit code 2; nothing written.
  for (const [args, pattern] of [
    [['data', 'info', empty], /empty is empty/],
    [['data', 'info', broken, '--strict'], /are not images \(--strict\)/],
    [['train', '--data', noImages, '--out', join(dir, 'never')], /holds no images/],
    [
      ['train', '--data', broken, '--preset', 'dcgan', '--resolution', '48', '--out', join(dir, 'never')],
      /makes 28, 32, 64 pixel images, not 48/,
    ],
  ] as [string[], RegExp][]) {
    const r = gantry(args, dir);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern);
  }
  assert.ok(!existsSync(join(dir, 'never', 'checkpoint.bin')));
});

test('training on a folder at 32×32 RGB works end to end and samples 32×32 RGB PNGs; resume refuses changed data', () => {
  const run = join(dir, 'run');
  // --preset: without one, the folder would pick its own (test/folder_defaults.test.ts).
  const r = gantry(['train', '--data', digits, '--preset', 'dcgan', '--epochs', '1', '--mirror', '--out', run], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /300 images and their mirror images, 32×32×3, 10 steps an epoch/);
  assert.match(r.stdout, /^Epoch \[1\/1\], Step \[10\/10\]/m);
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  assert.equal(config.data, digits);
  assert.match(config.dataHash, /^[0-9a-f]{16}$/);
  const s = gantry(['sample', '--run', run, '--count', '2', '--out', join(dir, 'samples')], dir);
  assert.equal(s.status, 0, s.stderr);
  const header = readFileSync(join(dir, 'samples', '0000.png'));
  assert.deepEqual(
    [header.readUInt32BE(16), header.readUInt32BE(20), header[25]],
    [32, 32, 2],
    '32×32, colour type RGB',
  );
  // Changed data: the resumed run refuses it.
  writeFileSync(join(digits, 'digit-1', 'zz-new.png'), readFileSync(join(dir, 'samples', '0000.png')));
  const resumed = gantry(['train', '--resume', run, '--epochs', '2'], dir);
  assert.equal(resumed.status, 2, resumed.stderr);
  assert.match(resumed.stderr, /was trained on other data \(hash [0-9a-f]+\); digits now has hash/);
});
