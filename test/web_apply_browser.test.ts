/**
 * Runs applied and embedded in a real headless browser (Debian's chromium, driven by playwright-core), against the
 * CLI's pixels: the studio's Apply view for a superres and an inpaint run (uploads, a mask painted with the mouse,
 * downloads; a 240×160 picture at ×4), and the examples/ page on a plain static server (not the studio) loading
 * `gantry export` folders of a dcgan, a resnet and a superres run with gantry/web. Bad input shows in the page.
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { startStudio } from '../src/studio/server.js';
import { gantryRun, ROOT, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const TWITTER = join(ROOT, 'node_modules', 'emoji-datasource-twitter', 'img', 'twitter', '64');
const GOOGLE = join(ROOT, 'node_modules', 'emoji-datasource-google', 'img', 'google', '64');
const SEED = 5;
const COUNT = 8;

// Page functions run in the browser; `any` stands in for the DOM's types, which this Node project leaves out.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Win = any;
interface Pixels {
  width: number;
  height: number;
  channels: number;
  pixels: Record<string, number>;
}

const dir = tempDir();
const runs = join(dir, 'runs');
const pictures = join(dir, 'pictures');
let browser: Browser;
let studio: { url: string; close(): Promise<void> };
let site: Server;
let siteUrl: string;
const pageErrors: string[] = [];

async function run(args: string[]) {
  const r = await gantryRun(args, dir);
  assert.equal(r.status, 0, `gantry ${args.join(' ')}: ${r.stderr}`);
  return r;
}

/** A PNG's bytes as width, height, channels and raw pixels. */
async function raw(path: string) {
  // sharp turns one gray channel into sRGB unless told to keep it.
  const gray = (await sharp(path).metadata()).channels === 1;
  const image = gray ? sharp(path).extractChannel(0) : sharp(path);
  const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, channels: info.channels, data: new Uint8Array(data) };
}

/** The largest difference between two images of one shape, and how many values differ at all. */
function difference(a: { width: number; height: number; channels: number; data: ArrayLike<number> }, b: typeof a) {
  assert.deepEqual([a.width, a.height, a.channels], [b.width, b.height, b.channels]);
  let max = 0,
    differing = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    max = Math.max(max, d);
    if (d > 0) differing++;
  }
  return { max, differing };
}

const fromPage = (p: Pixels) => ({
  width: p.width,
  height: p.height,
  channels: p.channels,
  data: Uint8Array.from(Object.values(p.pixels)),
});

const started = Date.now();

before(async () => {
  assert.ok(statSync(CHROMIUM).isFile(), `${CHROMIUM} is missing: bash scripts/setup-debian.sh`);
  const small = ['--epochs', '1', '--eval-count', '10', '--grid-size', '4'];
  // The image-to-image runs train on a folder of 24 emoji: decoding the whole emoji set would take longer.
  const emoji = join(dir, 'emoji');
  mkdirSync(emoji);
  for (const name of readdirSync(TWITTER)
    .filter((f) => f.startsWith('1f6'))
    .slice(0, 24))
    copyFileSync(join(TWITTER, name), join(emoji, name));
  const folder = ['--data', emoji, '--resolution', '64', '--batch-size', '8'];
  // Two at a time: the machine has two cores.
  await Promise.all([
    run(['train', '--limit', '64', '--batch-size', '32', ...small, '--out', join(runs, 'dcgan')]),
    run([
      'train',
      '--architecture',
      'resnet',
      '--limit',
      '64',
      '--batch-size',
      '32',
      ...small,
      '--out',
      join(runs, 'resnet'),
    ]),
  ]);
  await Promise.all([
    run(['train', '--task', 'superres', ...folder, ...small, '--out', join(runs, 'superres')]),
    run(['train', '--task', 'inpaint', ...folder, ...small, '--out', join(runs, 'inpaint')]),
  ]);
  // Pictures to apply: a 64×64 emoji with alpha, a 240×160 opaque one.
  mkdirSync(pictures);
  copyFileSync(join(GOOGLE, '1f98a.png'), join(pictures, 'fox.png'));
  await sharp(join(TWITTER, '1f680.png'))
    .flatten({ background: '#ffffff' })
    .resize(240, 160, { fit: 'fill' })
    .png()
    .toFile(join(pictures, 'wide.png'));
  writeFileSync(join(dir, 'notes.png'), 'not an image');

  // The static site: the built example page and three exports beside it.
  const root = join(dir, 'site');
  cpSync(join(ROOT, 'dist', 'examples'), root, { recursive: true });
  await Promise.all(
    ['dcgan', 'resnet', 'superres'].map((name) =>
      run(['export', '--run', join(runs, name), '--out', join(root, 'exports', name)]),
    ),
  );
  const types: Record<string, string> = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.json': 'application/json',
    '.wasm': 'application/wasm',
  };
  site = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    try {
      const file = join(root, path.endsWith('/') ? `${path}index.html` : path);
      const body = readFileSync(file);
      res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  studio = await startStudio({ runsDir: runs, port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  console.log(`# web apply browser test: setup (4 runs trained, 3 exported) took ${Date.now() - started} ms`);
});

after(async () => {
  await browser?.close();
  await studio?.close();
  site?.close();
});

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return page;
}

async function download(page: Page, selector: string, to: string): Promise<string> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click(selector)]);
  await file.saveAs(to);
  return to;
}

test('the examples page on a plain static server generates and applies with gantry/web: the CLI pixels', async () => {
  const page = await newPage();
  for (const name of ['dcgan', 'resnet']) {
    const cli = join(dir, `sample-${name}`);
    await run(['sample', '--run', join(runs, name), '--seed', String(SEED), '--count', String(COUNT), '--out', cli]);
    await page.goto(`${siteUrl}/?run=exports/${name}/&seed=${SEED}&count=${COUNT}&backend=wasm`);
    await page.waitForFunction(() => (window as Win).__example?.ready);
    const state = await page.evaluate(() => (window as Win).__example);
    assert.equal(state.error, null, state.error);
    assert.equal(state.backend, 'wasm');
    assert.equal(state.images.length, COUNT);
    for (let i = 0; i < COUNT; i++) {
      const want = await raw(join(cli, `${String(i).padStart(4, '0')}.png`));
      const got = fromPage(state.images[i]);
      assert.ok(difference(want, got).max <= 1, `${name} image ${i}: ${JSON.stringify(difference(want, got))}`);
    }
  }
  // The superres export: a picture in, the output of gantry upscale out (the Apply view's test takes a large one).
  const upscaled = join(dir, 'upscaled');
  await run(['upscale', pictures, upscaled, '--run', join(runs, 'superres')]);
  await page.goto(`${siteUrl}/?run=exports/superres/&backend=wasm`);
  await page.waitForFunction(() => (window as Win).__example?.ready);
  assert.equal(await page.evaluate(() => (window as Win).__example.task), 'superres');
  await page.setInputFiles('input[aria-label=images]', join(pictures, 'fox.png'));
  await page.waitForFunction(() => (window as Win).__example?.ready && (window as Win).__example.outputs.length === 1);
  const outputs = await page.evaluate(() => (window as Win).__example.outputs);
  for (const { name, output } of outputs as { name: string; output: Pixels }[]) {
    const d = difference(await raw(join(upscaled, name)), fromPage(output));
    assert.ok(d.max <= 1, `${name}: ${JSON.stringify(d)}`);
  }
  // A file that is not an image: a message in the page.
  await page.setInputFiles('input[aria-label=images]', join(dir, 'notes.png'));
  await page.waitForSelector('.error');
  assert.match((await page.textContent('.error')) ?? '', /notes\.png: not a PNG, JPEG or WebP image/);
  // A folder that holds no export: a message, not a blank page.
  await page.goto(`${siteUrl}/?run=exports/missing/`);
  await page.waitForFunction(() => (window as Win).__example?.ready);
  assert.match((await page.textContent('.error')) ?? '', /missing\/gantry\.json: 404/);
  await page.close();
});

test('the Apply view upscales uploads to the CLI pixels; a 240×160 picture comes back ×4 without seams', async () => {
  const page = await newPage();
  await page.goto(`${studio.url}#/apply/superres?backend=wasm`);
  await page.waitForFunction(() => (window as Win).__studio?.ready && (window as Win).__studio.apply != null);
  await page.setInputFiles('input[aria-label=images]', [join(pictures, 'fox.png'), join(pictures, 'wide.png')]);
  await page.waitForFunction(
    () =>
      (window as Win).__studio?.ready &&
      (window as Win).__studio.apply?.items.every((i: Win) => i.output != null) &&
      (window as Win).__studio.apply.items.length === 2,
    undefined,
    { timeout: 120_000 },
  );
  const upscaled = join(dir, 'upscaled');
  for (const name of ['fox.png', 'wide.png']) {
    const got = await raw(await download(page, `[data-name="${name}"] a.download`, join(dir, `apply-${name}`)));
    const want = await raw(join(upscaled, name));
    const d = difference(want, got);
    assert.ok(d.max <= 1, `${name}: ${JSON.stringify(d)}`);
    if (name === 'wide.png') assert.deepEqual([got.width, got.height], [960, 640]);
  }
  // Download all: one zip holding both outputs.
  const zip = readFileSync(await download(page, 'button:has-text("Download all")', join(dir, 'all.zip')));
  assert.equal(zip.readUInt32LE(0), 0x04034b50);
  assert.equal(zip.readUInt16LE(zip.length - 12), 2, 'two files in the zip');
  // Bad input: a file that is not an image.
  await page.setInputFiles('input[aria-label=images]', join(dir, 'notes.png'));
  await page.waitForFunction(() => (window as Win).__studio.apply?.errors.length > 0);
  assert.match(
    (await page.evaluate(() => (window as Win).__studio.apply.errors))[0],
    /notes\.png: not a PNG, JPEG or WebP image/,
  );
  assert.equal(pageErrors.length, 0, pageErrors.join('\n'));
  await page.close();
});

test('the Apply view inpaints what the mouse paints: the pixels of gantry inpaint with that mask', async () => {
  const page = await newPage();
  await page.goto(`${studio.url}#/apply/inpaint?backend=wasm`);
  await page.waitForFunction(() => (window as Win).__studio?.ready && (window as Win).__studio.apply != null);
  const inputs = [join(pictures, 'fox.png'), join(TWITTER, '1f600.png')];
  await page.setInputFiles('input[aria-label=images]', inputs);
  await page.waitForFunction(
    () => (window as Win).__studio?.ready && (window as Win).__studio.apply?.items.length === 2,
  );
  for (const [k, name] of ['fox.png', '1f600.png'].entries()) {
    const box = (await page.locator(`[data-name="${name}"] canvas[data-input]`).boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * (0.3 + 0.1 * k));
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + box.height * 0.6, { steps: 8 });
    await page.mouse.up();
    await page.waitForFunction(
      (n: string) => (window as Win).__studio.apply.items.find((i: Win) => i.name === n)?.output != null,
      name,
    );
    const mask = await download(page, `[data-name="${name}"] a.download:has-text("mask")`, join(dir, `mask-${name}`));
    const got = await raw(
      await download(page, `[data-name="${name}"] a.download:has-text("Download")`, join(dir, `inpainted-${name}`)),
    );
    const cli = join(dir, `cli-inpainted-${name}`);
    await run(['inpaint', inputs[k], cli, '--mask', mask, '--run', join(runs, 'inpaint')]);
    const want = await raw(cli);
    const d = difference(want, got);
    assert.ok(d.max <= 1, `${name}: ${JSON.stringify(d)}`);
    const painted = await raw(mask);
    const holes = Array.from({ length: painted.width * painted.height }).filter(
      (_, p) => painted.data[p * painted.channels] > 127,
    ).length;
    assert.ok(holes > 100, `the stroke painted ${holes} pixels`);
  }
  // Bad input: a mask of the wrong size, loaded from a file.
  const wrong = join(dir, 'wrong-mask.png');
  await sharp({ create: { width: 10, height: 10, channels: 3, background: '#ffffff' } })
    .png()
    .toFile(wrong);
  await page.setInputFiles('[data-name="fox.png"] input[aria-label=mask]', wrong);
  await page.waitForFunction(() => (window as Win).__studio.apply?.errors.length > 0);
  assert.match(
    (await page.evaluate(() => (window as Win).__studio.apply.errors))[0],
    /wrong-mask\.png: the mask is 10×10 but fox\.png is 64×64/,
  );
  assert.equal(pageErrors.length, 0, pageErrors.join('\n'));
  await page.close();
});
