/**
 * Screenshots of the studio's Apply view for the docs (docs/images/studio/apply-{superres,inpaint}.png): a
 * superres run upscaling three Google emoji (a style it never trained on) and an inpaint run filling strokes
 * painted with the mouse, in headless chromium (1280×800).
 *
 *   npm run build && node dist/scripts/apply_screenshots.js --superres runs/superres --inpaint runs/inpaint
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium, type Page } from 'playwright-core';
import { startStudio } from '../src/studio/server.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GOOGLE = join(ROOT, 'node_modules', 'emoji-datasource-google', 'img', 'google', '64');
const { values } = parseArgs({
  options: {
    superres: { type: 'string' },
    inpaint: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'docs', 'images', 'studio') },
  },
});
if (values.superres == null || values.inpaint == null) {
  console.error('usage: node dist/scripts/apply_screenshots.js --superres RUN --inpaint RUN [--out DIR]');
  process.exit(2);
}

const scratch = mkdtempSync(join(tmpdir(), 'gantry-apply-shots-'));
const runs = join(scratch, 'runs');
cpSync(values.superres, join(runs, 'superres'), { recursive: true });
cpSync(values.inpaint, join(runs, 'inpaint'), { recursive: true });
const studio = await startStudio({ runsDir: runs, port: 0 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });

const ready = (page: Page, count: number) =>
  page.waitForFunction(
    (n) => {
      const hooks = (
        globalThis as unknown as { __studio?: { ready: boolean; apply: { items: { output: unknown }[] } } }
      ).__studio;
      return hooks?.ready === true && hooks.apply?.items.filter((i) => i.output != null).length === n;
    },
    count,
    { timeout: 120_000 },
  );

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  mkdirSync(values.out!, { recursive: true });
  const shoot = async (name: string) => {
    const file = join(values.out!, `${name}.png`);
    await page.screenshot({ path: file });
    console.error(`${file}: ${(statSync(file).size / 1024).toFixed(0)} KiB`);
  };
  await page.goto(`${studio.url}#/apply/superres?backend=wasm`);
  await page.waitForSelector('input[aria-label=images]');
  await page.setInputFiles(
    'input[aria-label=images]',
    ['1f98a.png', '1f680.png', '1f382.png'].map((f) => join(GOOGLE, f)),
  );
  await ready(page, 3);
  await shoot('apply-superres');

  await page.goto(`${studio.url}#/apply/inpaint?backend=wasm`);
  await page.waitForSelector('input[aria-label=images]');
  const names = ['1f431.png', '1f33b.png'];
  await page.setInputFiles(
    'input[aria-label=images]',
    names.map((f) => join(GOOGLE, f)),
  );
  for (const [k, name] of names.entries()) {
    const box = (await page.locator(`[data-name="${name}"] canvas[data-input]`).boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * (0.35 + 0.15 * k));
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height * 0.55, { steps: 10 });
    await page.mouse.up();
    await ready(page, k + 1);
  }
  await shoot('apply-inpaint');
} finally {
  await browser.close();
  await studio.close();
  rmSync(scratch, { recursive: true, force: true });
}
