/**
 * Screenshots of the studio's four views for the README (docs/images/studio/{runs,live,playground,compare}.png),
 * from real runs: copies a few finished runs of a runs folder into a scratch folder, trains a small conditional
 * MNIST run there with an FID evaluation every epoch, and photographs the views in headless chromium (1280×800)
 * while that run trains.
 *
 *   npm run build && node dist/scripts/studio_screenshots.js [--runs runs] [--out docs/images/studio]
 *
 * Needs the runs named below in --runs (the preset comparison's runs) and Debian's chromium.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { startStudio } from '../src/studio/server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: join(ROOT, 'runs') },
    out: { type: 'string', default: join(ROOT, 'docs', 'images', 'studio') },
  },
});
const PLAY = 'compare/mnist-cgan+ema-20-epochs';
const COMPARE = ['compare/mnist-dcgan', 'compare/mnist-cgan'];
const OTHERS = ['compare/mnist-wgan-gp', 'compare/mnist-lsgan+ema', 'compare/fashion-mnist-cgan', 'i2i/superres-emoji'];
const LIVE = 'mnist-cgan-live';
const LIVE_EPOCHS = 8;

const scratch = mkdtempSync(join(tmpdir(), 'gantry-studio-shots-'));
const runs = join(scratch, 'runs');
for (const id of [PLAY, ...COMPARE, ...OTHERS]) {
  const from = join(values.runs!, id);
  if (!existsSync(from))
    throw new Error(`${from} is missing: these screenshots show the runs of the preset comparison`);
  cpSync(from, join(runs, id), { recursive: true });
}

const trainer = spawn(
  process.execPath,
  [
    join(ROOT, 'bin', 'gantry.js'),
    'train',
    '--preset',
    'cgan',
    '--ema',
    '0.999',
    '--epochs',
    String(LIVE_EPOCHS),
    '--limit',
    '6000',
    '--eval-every',
    '1',
    '--eval-count',
    '1000',
    '--out',
    join(runs, LIVE),
  ],
  { cwd: scratch, stdio: ['ignore', 'ignore', 'inherit'] },
);
const studio = await startStudio({ runsDir: runs, port: 0 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  mkdirSync(values.out!, { recursive: true });
  const shoot = async (name: string) => {
    const file = join(values.out!, `${name}.png`);
    await page.screenshot({ path: file });
    console.error(`${file}: ${(statSync(file).size / 1024).toFixed(0)} KiB`);
  };
  const open = async (hash: string) => {
    await page.goto('about:blank');
    await page.goto(`${studio.url}${hash}`);
    await waitReady(page);
    await page.waitForTimeout(400);
  };

  // The live run halfway through, with a few FID points.
  const half = Math.ceil(LIVE_EPOCHS / 2);
  const waitEpoch = async (epoch: number) => {
    for (;;) {
      const res = await fetch(`${studio.url}api/runs/${LIVE}`);
      if (res.ok && ((await res.json()) as { epoch: number }).epoch >= epoch) return;
      if (trainer.exitCode != null) throw new Error(`the live run's training ended (${trainer.exitCode})`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  await waitEpoch(half);
  await open(`#/run/${LIVE}`);
  await page.waitForTimeout(1500);
  await shoot('live');
  await open('#/runs');
  await shoot('runs');

  await open(`#/play/${encodeURIComponent(PLAY)}?seed=3`);
  await page.locator('input[aria-label="direction 2"]').fill('1.5');
  await page.locator('input[aria-label="interpolation t"]').fill('0.45');
  await page.waitForSelector('canvas[data-lerp][data-t="0.45"]');
  await page.waitForTimeout(500);
  await shoot('playground');

  await open(`#/compare/${COMPARE.map(encodeURIComponent).join('/')}`);
  await shoot('compare');
} finally {
  trainer.kill();
  await browser.close();
  await studio.close();
  rmSync(scratch, { recursive: true, force: true });
}

async function waitReady(page: Page): Promise<void> {
  // A function predicate: the studio's CSP forbids evaluating strings.
  await page.waitForFunction(
    () => (globalThis as unknown as { __studio?: { ready: boolean } }).__studio?.ready === true,
    null,
    { timeout: 60_000 },
  );
}
