/**
 * The studio end to end in a real headless browser: Debian's chromium (scripts/setup-debian.sh) driven by
 * playwright-core, over a small real run trained here with the CLI. The run list, the loss chart drawn from the
 * run's metrics, a live run whose chart grows as lines are appended, two runs compared, and the playground's
 * images against `gantry sample`'s pixel for pixel on the cpu, wasm and WebGL backends.
 */
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { startStudio } from '../src/studio/server.js';
import { gantryRun, ROOT, tempDir } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const SEED = 7;
const CLASS = 3;
const COUNT = 16;

/** What the page exposes as window.__studio (web/hooks.ts); this file compiles without the DOM's types. */
interface Hooks {
  view: string;
  ready: boolean;
  charts: Record<string, { x: number[]; y: (number | null)[][] }>;
  play: {
    backend: string;
    seed: number;
    klass: number;
    images: Record<string, number>[];
    directions: number;
    weights: string;
  } | null;
  latent: { values: number[]; residual: number; orthogonality: number } | null;
  style: { truncation: number; mix: Record<string, number>[]; w: Record<string, number> | null } | null;
}
// Page functions run in the browser; `any` stands in for the DOM types here.
// biome-ignore lint/suspicious/noExplicitAny: the DOM's types are not in this Node project's lib
type PageGlobals = { __studio: Hooks; document: any; __marker?: number };

let runs: string;
let studio: { url: string; close(): Promise<void> };
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
/** `gantry sample` images (bytes, H·W·C) of seed SEED: classes in turn, and all CLASS. */
const cli: { inTurn: Uint8Array[]; ofClass: Uint8Array[]; truncated: Uint8Array[]; mix: Uint8Array[]; w: Uint8Array } =
  {
    inTurn: [],
    ofClass: [],
    truncated: [],
    mix: [],
    w: new Uint8Array(),
  };
const started = Date.now();
// Made here, not in before(): tempDir's cleanup then runs when the whole file ends.
const dir = tempDir();

async function readPngs(dir: string): Promise<Uint8Array[]> {
  return Promise.all(
    Array.from({ length: COUNT }, async (_, i) => {
      const file = join(dir, `${String(i).padStart(4, '0')}.png`);
      assert.equal((await sharp(file).metadata()).channels, 1, 'the MNIST run writes gray PNGs');
      return new Uint8Array(await sharp(file).extractChannel(0).raw().toBuffer());
    }),
  );
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: install Debian's chromium (bash scripts/setup-debian.sh)`);
  assert.ok(existsSync(join(ROOT, 'dist', 'web', 'index.html')), 'the front end is not built (npm run build)');
  runs = join(dir, 'runs');
  // A class-conditional run with an EMA of G: labels and the EMA weights both reach the browser.
  const train = await gantryRun(
    ['train', '--preset', 'cgan', '--ema', '0.99', '--epochs', '2', '--limit', '256', '--out', join(runs, 'a')],
    dir,
  );
  assert.equal(train.status, 0, train.stderr);
  const [inTurn, ofClass] = await Promise.all([
    gantryRun(
      [
        'sample',
        '--run',
        join(runs, 'a'),
        '--count',
        String(COUNT),
        '--seed',
        String(SEED),
        '--out',
        join(dir, 'in-turn'),
      ],
      dir,
    ),
    gantryRun(
      [
        'sample',
        '--run',
        join(runs, 'a'),
        '--count',
        String(COUNT),
        '--seed',
        String(SEED),
        '--class',
        String(CLASS),
        '--out',
        join(dir, 'class'),
      ],
      dir,
    ),
  ]);
  assert.equal(inTurn.status, 0, inTurn.stderr);
  assert.equal(ofClass.status, 0, ofClass.stderr);
  cli.inTurn = await readPngs(join(dir, 'in-turn'));
  cli.ofClass = await readPngs(join(dir, 'class'));
  // A small stylegan run (preset stylegan2) for the style controls, with what the CLI draws from it.
  const sg = join(runs, 'sg');
  const sgTrain = await gantryRun(
    [
      ...['train', '--preset', 'stylegan2', '--epochs', '1', '--limit', '64', '--batch-size', '16'],
      ...['--g-width', '4', '--d-width', '4', '--latent-dim', '16', '--grid-size', '4', '--out', sg],
    ],
    dir,
  );
  assert.equal(sgTrain.status, 0, sgTrain.stderr);
  writeFileSync(
    join(dir, 'w.json'),
    JSON.stringify({
      format: 'gantry-w',
      ws: Array.from({ length: 6 }, (_, i) => Array.from({ length: 16 }, (_, j) => Math.sin(i + j))),
    }),
  );
  const sgCli = await Promise.all([
    gantryRun(
      [
        'sample',
        '--run',
        sg,
        '--count',
        String(COUNT),
        '--seed',
        String(SEED),
        '--truncation',
        '0.5',
        '--out',
        join(dir, 'sg-psi'),
      ],
      dir,
    ),
    gantryRun(
      [
        'mix',
        '--run',
        sg,
        '--rows',
        '1-3',
        '--cols',
        '4-7',
        '--layers',
        'coarse',
        '--truncation',
        '0.5',
        '--grid',
        join(dir, 'sg-mix.png'),
      ],
      dir,
    ),
    gantryRun(['sample', '--run', sg, '--w', join(dir, 'w.json'), '--out', join(dir, 'sg-w.png')], dir),
  ]);
  for (const r of sgCli) assert.equal(r.status, 0, r.stderr);
  cli.truncated = await readPngs(join(dir, 'sg-psi'));
  // The mixing figure's cells: 28 px behind a 2 px border, 5 columns, 4 rows.
  cli.mix = await Promise.all(
    Array.from({ length: 20 }, async (_, i) =>
      Uint8Array.from(
        await sharp(join(dir, 'sg-mix.png'))
          .extract({ left: 2 + (i % 5) * 30, top: 2 + Math.floor(i / 5) * 30, width: 28, height: 28 })
          .extractChannel(0)
          .raw()
          .toBuffer(),
      ),
    ),
  );
  cli.w = Uint8Array.from(await sharp(join(dir, 'sg-w.png')).extractChannel(0).raw().toBuffer());
  // A folder the studio cannot read as a run: listed as broken, with the reason.
  mkdirSync(join(runs, 'broken'));
  writeFileSync(join(runs, 'broken', 'config.json'), '{ "dataset": ');

  studio = await startStudio({ runsDir: runs, port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  console.log(`# studio browser test: setup (train, sample, launch) took ${Date.now() - started} ms`);
});

after(async () => {
  await browser?.close();
  await studio?.close();
  console.log(`# studio browser test: ${Date.now() - started} ms in all`);
});

/** The page's hooks without the images' bytes. */
async function hooks(): Promise<Hooks | undefined> {
  return page.evaluate(() => {
    const s = (globalThis as unknown as PageGlobals).__studio;
    return s && { ...s, play: s.play && { ...s.play, images: [] } };
  });
}

/**
 * Waits until `predicate` holds for the page's hooks, checked here (the studio's CSP forbids the string
 * evaluation page.waitForFunction would need for a predicate with arguments).
 */
async function waitHooks(predicate: (s: Hooks) => boolean, timeoutMs = 30_000): Promise<Hooks> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const s = await hooks();
    if (s != null && predicate(s)) return s;
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${predicate}; hooks: ${JSON.stringify(s).slice(0, 400)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Loads the page at a route and waits until its view has drawn its data (and `until` holds, when given). */
async function open(hash: string, until: (s: Hooks) => boolean = () => true): Promise<Hooks> {
  // A fresh load each time: a hash change alone would leave the last view's hooks up for a moment.
  await page.goto('about:blank');
  await page.goto(`${studio.url}${hash}`);
  const view = hash.split('/')[1];
  return waitHooks((s) => s.view === view && s.ready && until(s));
}

const stepLines = (run: string) =>
  readFileSync(join(runs, run, 'metrics.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"d_loss"'));

/** Max |a − b| over the gray channel of an image drawn into a canvas (RGBA) and CLI bytes. */
function maxDiff(rgba: number[], gray: Uint8Array): number {
  assert.equal(rgba.length, gray.length * 4, 'image size');
  let max = 0;
  for (let p = 0; p < gray.length; p++) max = Math.max(max, Math.abs(rgba[p * 4] - gray[p]));
  return max;
}

/** The pixels of the grid's images in the playground, read back from their canvases. */
async function gridPixels(): Promise<number[][]> {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return Array.from(
      document.querySelectorAll('.play-grid-images canvas') as ArrayLike<{
        width: number;
        height: number;
        getContext(k: string): {
          getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
        };
      }>,
    ).map((c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data));
  });
}

async function canvasPixels(selector: string): Promise<number[]> {
  return page.evaluate((sel) => {
    const c = (globalThis as unknown as PageGlobals).document.querySelector(sel);
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data as ArrayLike<number>);
  }, selector);
}

/** The largest pixel difference of the grid against `gantry sample`'s images. */
async function gridDiff(expected: Uint8Array[]): Promise<number> {
  const grid = await gridPixels();
  assert.equal(grid.length, COUNT);
  return Math.max(...grid.map((rgba, i) => maxDiff(rgba, expected[i])));
}

test('the runs list shows the run with its status, data and preset, and a broken folder with its reason', async () => {
  await open('#/runs');
  const row = page.locator('tr[data-run="a"]');
  await assert.doesNotReject(row.waitFor());
  const text = await row.innerText();
  for (const part of ['finished', 'mnist', 'cgan', 'dcgan · projection (10 classes)', '2/2 epochs'])
    assert.ok(text.includes(part), `row shows ${part}: ${text}`);
  const broken = page.locator('tr[data-run="broken"]');
  assert.equal(await broken.locator('.badge').innerText(), 'broken');
  assert.ok((await broken.locator('.reason').innerText()).length > 0, 'the reason is shown');
});

test("the run view draws the loss chart from the run's metrics, and the sample grids as a timeline", async () => {
  await open('#/run/a', (s) => s.charts.loss != null);
  const lines = stepLines('a').map((l) => JSON.parse(l) as { global_step: number; d_loss: number; g_loss: number });
  const chart = await page.evaluate(() => (globalThis as unknown as PageGlobals).__studio.charts.loss);
  assert.deepEqual(
    chart.x,
    lines.map((l) => l.global_step),
  );
  assert.deepEqual(
    chart.y[0],
    lines.map((l) => l.d_loss),
  );
  assert.deepEqual(
    chart.y[1],
    lines.map((l) => l.g_loss),
  );
  assert.equal(await page.getAttribute('.chart[data-chart="loss"]', 'data-points'), String(lines.length));
  // The canvas has the curves on it (uPlot draws on a transparent canvas).
  const drawn = await page.evaluate(() => {
    const c = (globalThis as unknown as PageGlobals).document.querySelector('.chart[data-chart="loss"] canvas');
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data as ArrayLike<number>;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
    return n;
  });
  assert.ok(drawn > 500, `the loss canvas has ${drawn} drawn pixels`);
  assert.equal(await page.locator('.timeline-label').innerText(), 'epoch 2 of 2');
  // The training time the run recorded in status.json.
  assert.match(await page.locator('.progress-text').innerText(), /step \d+\/\d+ · \d+ s trained/);
  await page.locator('.timeline input[type=range]').fill('0');
  assert.equal(await page.locator('.timeline-label').innerText(), 'epoch 1 of 2');
  assert.match(
    (await page.locator('.sample-images img').first().getAttribute('src')) ?? '',
    /samples\/epoch-001\.png$/,
  );
});

test('the playground generates the images of gantry sample: cpu, wasm and WebGL', async () => {
  let { play } = await open(`#/play/a?backend=cpu&seed=${SEED}`, (s) => s.play != null);
  assert.equal(play!.backend, 'cpu');
  assert.equal(play!.weights, 'ema', 'a run with an EMA samples with it, as the CLI does');
  const diffs: Record<string, number> = {};
  diffs['cpu, classes in turn'] = await gridDiff(cli.inTurn);

  // The main latent directions: an eigen-decomposition that holds, and a slider that moves the picked image.
  const latent = await page.evaluate(() => (globalThis as unknown as PageGlobals).__studio.latent!);
  assert.equal(play!.directions, 6);
  assert.ok(latent.residual < 1e-9 && latent.orthogonality < 1e-9, JSON.stringify(latent));
  assert.ok(
    latent.values.every((v, i) => i === 0 || v <= latent.values[i - 1]),
    'strongest first',
  );
  const picked = await canvasPixels('canvas[data-picked]');
  assert.ok(maxDiff(picked, cli.inTurn[0]) <= 2, 'the picked image is the first of the grid');
  await page.locator('input[aria-label="direction 1"]').fill('3');
  await page.waitForSelector('canvas[data-picked][data-offsets^="3,"]');
  assert.ok(
    maxDiff(await canvasPixels('canvas[data-picked]'), cli.inTurn[0]) > 20,
    'moving along direction 1 changes the image',
  );

  // Interpolation at t = 0 is seed A's first image, the grid's first one (class 0 either way).
  await page.waitForSelector('canvas[data-lerp][data-t="0.00"]');
  assert.ok(maxDiff(await canvasPixels('canvas[data-lerp]'), cli.inTurn[0]) <= 2);
  await page.locator('input[aria-label="interpolation t"]').fill('0.5');
  await page.waitForSelector('canvas[data-lerp][data-t="0.50"]');
  assert.ok(
    maxDiff(await canvasPixels('canvas[data-lerp]'), cli.inTurn[0]) > 20,
    'halfway between two seeds is another image',
  );
  // Play animates t.
  await page.getByRole('button', { name: 'Play' }).click();
  await page.waitForFunction(() => {
    const t = (globalThis as unknown as PageGlobals).document.querySelector('canvas[data-lerp]').dataset.t;
    return t !== '0.50' && t !== '0.49' && t !== '0.51';
  });
  await page.getByRole('button', { name: 'Pause' }).click();

  // Download PNG saves the picked image (moved along direction 1) at its own size.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download PNG' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), `a-seed${SEED}-0.png`);
  const saved = await sharp(await download.path())
    .raw()
    .toBuffer({ resolveWithObject: true });
  assert.deepEqual([saved.info.width, saved.info.height], [28, 28]);
  const shown = await canvasPixels('canvas[data-picked]');
  for (let p = 0; p < 28 * 28; p++)
    assert.equal(saved.data[p * saved.info.channels], shown[p * 4], `downloaded pixel ${p}`);

  await page.selectOption('select[aria-label="class"]', String(CLASS));
  await waitHooks((s) => s.ready && s.play?.klass === CLASS);
  diffs[`cpu, class ${CLASS}`] = await gridDiff(cli.ofClass);

  await page.selectOption('select[aria-label="backend"]', 'wasm');
  await waitHooks((s) => s.ready && s.play?.backend === 'wasm');
  diffs[`wasm, class ${CLASS}`] = await gridDiff(cli.ofClass);

  // WebGL runs in headless chromium on its software renderer where no GPU is there; auto prefers it.
  await page.selectOption('select[aria-label="backend"]', 'auto');
  ({ play } = await waitHooks((s) => s.ready && s.play != null && s.play.backend !== 'wasm'));
  diffs[`${play!.backend} (auto), class ${CLASS}`] = await gridDiff(cli.ofClass);
  console.log(`# playground vs gantry sample, max |Δ| per pixel (0-255): ${JSON.stringify(diffs)}`);
  for (const [name, d] of Object.entries(diffs)) assert.ok(d <= 2, `${name}: max difference ${d}`);

  // The raw weights are another generator.
  await page.selectOption('select[aria-label="weights"]', 'raw');
  await waitHooks((s) => s.ready && s.play?.weights === 'raw');
  assert.ok((await gridDiff(cli.ofClass)) > 20, 'raw weights give other images than the EMA');
});

test('a stylegan run: the truncation slider, the mixing figure and a projected w draw what the CLI draws', async () => {
  await open(`#/play/sg?backend=wasm&seed=${SEED}&psi=0.5`, (s) => s.play != null);
  const within = (a: ArrayLike<number>, b: Uint8Array) => Array.from(b).every((v, i) => Math.abs(v - a[i]) <= 2);
  assert.ok((await gridDiff(cli.truncated)) <= 2, 'ψ = 0.5 from the link: gantry sample --truncation 0.5');
  const styleHooks = async () =>
    page.evaluate(() => {
      const s = (globalThis as unknown as PageGlobals).__studio.style;
      return (
        s && {
          truncation: s.truncation,
          mix: s.mix.map((m) => Array.from(m as unknown as Uint8Array)),
          w: s.w && Array.from(s.w as unknown as Uint8Array),
        }
      );
    });
  let style = await styleHooks();
  for (let t = 0; style?.mix.length !== 20 && t < 200; t++) {
    await new Promise((r) => setTimeout(r, 50));
    style = await styleHooks();
  }
  assert.equal(style!.truncation, 0.5);
  // Cell 0 is the blank corner.
  for (let i = 1; i < 20; i++) assert.ok(within(style!.mix[i], cli.mix[i]), `mixing cell ${i} is gantry mix's`);
  await page.setInputFiles('input[aria-label="w file"]', join(dir, 'w.json'));
  for (let t = 0; style?.w == null && t < 200; t++) {
    await new Promise((r) => setTimeout(r, 50));
    style = await styleHooks();
  }
  assert.ok(within(style!.w!, cli.w), 'the w file draws gantry sample --w');
  await page.locator('input[aria-label="truncation"]').fill('1');
  await waitHooks((s) => s.ready && s.style?.truncation === 1);
  assert.ok((await gridDiff(cli.truncated)) > 20, 'ψ = 1 gives other images');
  assert.match(page.url(), /seed=7(?!.*psi)/, 'ψ = 1 leaves the link');
});

test("a live run's chart grows as metrics lines are appended, without reloading the page", async () => {
  const live = join(runs, 'live');
  mkdirSync(live);
  copyFileSync(join(runs, 'a', 'config.json'), join(live, 'config.json'));
  const lines = stepLines('a');
  writeFileSync(
    join(live, 'metrics.jsonl'),
    lines
      .slice(0, 3)
      .map((l) => `${l}\n`)
      .join(''),
  );
  await open('#/run/live', (s) => s.charts.loss?.x.length === 3);
  await page.evaluate(() => {
    (globalThis as unknown as PageGlobals).__marker = 1;
  });

  appendFileSync(
    join(live, 'metrics.jsonl'),
    lines
      .slice(3, 5)
      .map((l) => `${l}\n`)
      .join(''),
  );
  await waitHooks((s) => s.charts.loss?.x.length === 5);
  // A half-written line is not read until it is whole.
  const last = lines.slice(5);
  appendFileSync(
    join(live, 'metrics.jsonl'),
    `${last
      .slice(0, -1)
      .map((l) => `${l}\n`)
      .join('')}${last[last.length - 1].slice(0, 20)}`,
  );
  await waitHooks((s) => s.charts.loss?.x.length === lines.length - 1);
  appendFileSync(join(live, 'metrics.jsonl'), `${last[last.length - 1].slice(20)}\n`);
  await waitHooks((s) => s.charts.loss?.x.length === lines.length);
  // An epoch's sample grid appears on the timeline.
  mkdirSync(join(live, 'samples'));
  copyFileSync(join(runs, 'a', 'samples', 'epoch-001.png'), join(live, 'samples', 'epoch-001.png'));
  await page.waitForFunction(
    () =>
      (globalThis as unknown as PageGlobals).document.querySelector('.timeline-label')?.textContent === 'epoch 1 of 2',
  );

  // An ADA run's step lines carry p: the ADA chart appears with them (hidden before).
  assert.equal(await page.isVisible('.chart[data-chart="ada"]'), false);
  const next = JSON.parse(lines[lines.length - 1]) as { global_step: number };
  appendFileSync(
    join(live, 'metrics.jsonl'),
    `${JSON.stringify({ ...next, global_step: next.global_step + 1, ada_p: 0.25 })}\n`,
  );
  await waitHooks((s) => s.charts.ada?.x.length === 1);
  assert.deepEqual(await page.evaluate(() => (globalThis as unknown as PageGlobals).__studio.charts.ada), {
    x: [next.global_step + 1],
    y: [[0.25]],
  });
  assert.equal(await page.isVisible('.chart[data-chart="ada"]'), true);
  assert.equal(
    await page.evaluate(() => (globalThis as unknown as PageGlobals).__marker),
    1,
    'the page was not reloaded',
  );
  const chart = await page.evaluate(() => (globalThis as unknown as PageGlobals).__studio.charts.loss);
  assert.deepEqual(
    chart.x,
    lines.map((l) => (JSON.parse(l) as { global_step: number }).global_step).concat(next.global_step + 1),
  );
});

test('compare shows two runs side by side', async () => {
  await open('#/compare/a/live', (s) => s.charts['loss-a'] != null && s.charts['loss-b'] != null);
  const columns = await page
    .locator('.compare-column')
    .evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { run: string } }).dataset.run));
  assert.deepEqual(columns, ['a', 'live']);
  const charts = await page.evaluate(() => (globalThis as unknown as PageGlobals).__studio.charts);
  assert.equal(charts['loss-a'].x.length, stepLines('a').length);
  assert.equal(charts['loss-b'].x.length, stepLines('live').length);
  assert.equal((await page.locator('.compare-column .sample-images img').count()) >= 2, true);
  assert.deepEqual(pageErrors, [], 'no errors in the page');
});
