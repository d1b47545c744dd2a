/**
 * `gantry train --data DIR` without a preset: what it picks for folders of different sizes and kinds (the table in
 * src/defaults.ts), said on stderr and shown by --dry-run; a flag the user gives wins over the pick.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { resolveConfig, type TrainConfig } from '../src/config.js';
import { loadBundledMnist } from '../src/data/mnist.js';
import { folderDefaults } from '../src/defaults.js';
import { gantry, makeDigitFolder, ROOT, tempDir } from './helpers.js';

const dir = tempDir();
const GOOGLE = join(ROOT, 'node_modules', 'emoji-datasource-google', 'img', 'google', '64');

function dryRun(args: string[]): { config: TrainConfig; said: string } {
  const r = gantry(['train', ...args, '--dry-run'], dir);
  assert.equal(r.status, 0, r.stderr);
  return { config: JSON.parse(r.stdout) as TrainConfig, said: r.stderr };
}

test('three folders, three picks: gray 28 px digits, colour emoji with transparency, tinted digits in class folders', async () => {
  // 60 gray 28×28 digits at the top level.
  const digits = join(dir, 'digits');
  mkdirSync(digits);
  const mnist = loadBundledMnist();
  for (let i = 0; i < 60; i++)
    await sharp(Buffer.from(mnist.images.subarray(i * 784, (i + 1) * 784)), {
      raw: { width: 28, height: 28, channels: 1 },
    })
      .png()
      .toFile(join(digits, `${i}.png`));
  let { config, said } = dryRun(['--data', digits]);
  assert.deepEqual(
    [config.preset, config.architecture, config.imageSize, config.channels, config.diffAugment, config.conditioning],
    ['fastgan', 'lightweight', 28, 1, 'color,translation,cutout', 'none'],
  );
  assert.match(said, /picked for .*digits \(60 images, 28 px median side, gray; flags override\)/);
  assert.match(said, /--channels 1: every image sampled is gray/);

  // 150 Google emoji: colour, transparent backgrounds, 64 px.
  const emoji = join(dir, 'emoji');
  mkdirSync(emoji);
  for (const name of readdirSync(GOOGLE).slice(0, 150)) copyFileSync(join(GOOGLE, name), join(emoji, name));
  ({ config, said } = dryRun(['--data', emoji]));
  assert.deepEqual(
    [config.preset, config.imageSize, config.channels, config.background, config.conditioning],
    ['fastgan', 64, 3, 'white', 'none'],
  );
  assert.match(said, /--background white: the images have transparency/);
  // A short time budget trains them at 32 px; a long one keeps 64.
  ({ config, said } = dryRun(['--data', emoji, '--time-budget', '30m']));
  assert.deepEqual([config.preset, config.imageSize, config.timeBudget], ['fastgan', 32, 30]);
  assert.match(said, /--resolution 32: .*\(a 30-minute budget trains a 32 px G/);
  assert.equal(dryRun(['--data', emoji, '--time-budget', '2h']).config.imageSize, 64);

  // The pick is for the images trained on: the whole Google folder, and 150 of it with --limit.
  ({ config, said } = dryRun(['--data', GOOGLE, '--time-budget', '30m']));
  assert.deepEqual([config.preset, config.diffAugment, config.imageSize], ['hybrid', 'translation,cutout', 32]);
  ({ config, said } = dryRun(['--data', GOOGLE, '--time-budget', '30m', '--limit', '150', '--subset', 'spread']));
  assert.deepEqual([config.preset, config.limit], ['fastgan', 150]);
  assert.match(said, /\(\d+ images, 150 with --limit, 64 px median side, colour; flags override\)/);

  // Tinted digits in 3 class subfolders, drawn larger (up to 48 px): conditional, colour, 32 px.
  const labelled = join(dir, 'labelled');
  await makeDigitFolder(labelled, 45, 3);
  ({ config, said } = dryRun(['--data', labelled]));
  assert.deepEqual(
    [config.preset, config.channels, config.conditioning, config.imageSize],
    ['fastgan', 3, 'projection', 32],
  );
  assert.match(said, /--conditioning projection: 3 class subfolders/);

  // The user's flags win over the picks; a preset turns the picking off.
  ({ config } = dryRun(['--data', emoji, '--resolution', '32', '--diff-augment', 'translation']));
  assert.deepEqual([config.imageSize, config.diffAugment, config.preset], [32, 'translation', 'fastgan']);
  ({ config, said } = dryRun(['--data', emoji, '--preset', 'dcgan']));
  assert.deepEqual([config.preset, config.imageSize, config.architecture], ['dcgan', 32, 'dcgan']);
  assert.doesNotMatch(said, /picked for/);
  // So does a --task (image-to-image picks pix2pix).
  ({ config, said } = dryRun(['--data', emoji, '--task', 'superres', '--resolution', '64']));
  assert.deepEqual([config.preset, config.architecture], ['pix2pix', 'pix2pix']);
  assert.doesNotMatch(said, /picked for/);
});

test('the table: thousands of images get the hybrid with DiffAugment translation,cutout; large pictures are capped at 64 px on a CPU, at 32 for an hour or less; small ones 32', () => {
  const many = folderDefaults({ count: 50_000, side: 512, gray: false, alpha: false, classes: 0 });
  assert.deepEqual(many.fields, { preset: 'hybrid', imageSize: 64, channels: 3, diffAugment: 'translation,cutout' });
  assert.ok(many.reasons.some((r) => /--resolution 64: .* 512 px \(64 keeps a step under a second/.test(r)));
  assert.ok(
    many.reasons.some((r) => /--diff-augment translation,cutout: without it D learns the 50,000 images/.test(r)),
  );
  const hybrid = resolveConfig(many.fields);
  assert.deepEqual(
    [hybrid.architecture, hybrid.dArchitecture, hybrid.diffAugment],
    ['resnet', 'stylegan', 'translation,cutout'],
  );
  const emoji = { count: 3_786, side: 64, gray: false, alpha: true, classes: 0 };
  const sizes = [0, 30, 60, 61].map((minutes) => folderDefaults(emoji, minutes).fields.imageSize);
  assert.deepEqual(sizes, [64, 32, 32, 64]);
  assert.equal(folderDefaults(emoji, 30).fields.preset, 'hybrid');
  assert.equal(folderDefaults({ ...emoji, count: 200 }, 30).fields.preset, 'hybrid');
  assert.equal(folderDefaults({ ...emoji, count: 199 }, 30).fields.preset, 'fastgan');
  // Class subfolders: from 500 images the cgan preset (its D without BatchNorm: with the reference D the conditional
  // dcgan collapsed to one picture per class on the emoji), under 500 fastgan made conditional.
  const labelled = folderDefaults({ ...emoji, classes: 10 }, 30);
  assert.equal(labelled.fields.preset, 'cgan');
  assert.match(labelled.reasons[0], /^preset cgan: .*10 class subfolders.*D with spectral norm and no BatchNorm/);
  assert.equal(labelled.fields.diffAugment, 'none');
  const cgan = resolveConfig(labelled.fields);
  assert.deepEqual(
    [cgan.conditioning, cgan.spectralNorm, cgan.dNorm, cgan.architecture],
    ['projection', 'd', 'none', 'dcgan'],
  );
  // (the hybrid is not measured on labelled folders: 200–499 images in classes stay with fastgan)
  const few = folderDefaults({ ...emoji, count: 499, classes: 10 }, 30).fields;
  assert.deepEqual([few.preset, few.conditioning], ['fastgan', 'projection']);
  // Pictures already at 32 px or less stay at their size whatever the budget.
  assert.equal(folderDefaults({ ...emoji, side: 40 }, 30).fields.imageSize, 32);
  const tiny = folderDefaults({ count: 30, side: 16, gray: true, alpha: false, classes: 1 });
  assert.deepEqual(tiny.fields, {
    preset: 'fastgan',
    imageSize: 32,
    channels: 1,
    diffAugment: 'color,translation,cutout',
  });
  assert.ok(tiny.reasons.some((r) => /upscaled/.test(r)));
});
