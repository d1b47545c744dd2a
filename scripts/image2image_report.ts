/**
 * `node dist/scripts/image2image_report.js RUN [RUN...] [--pictures DIR]`: the numbers and pictures behind
 * docs/IMAGE2IMAGE.md. For each image-to-image run: PSNR and SSIM of its generator and of the task's baseline on
 * every held-out image (a markdown table row), and a picture of eight held-out images from across the set in rows
 * input | baseline | gantry | truth.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { useBackend } from '../src/backend/index.js';
import { defaultCacheDir } from '../src/data/idx_sets.js';
import { writeFileAtomic } from '../src/io/files.js';
import { encodePng, tileImages, toBytes } from '../src/io/png.js';
import { evaluateHeldOut, heldOutPass, loadTaskData } from '../src/image2image/training.js';
import { inputPicture, type ImageTask } from '../src/image2image/task.js';
import { loadRunGenerator } from '../src/train/sample.js';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { pictures: { type: 'string' } } });
await useBackend('auto');
console.log('| run | task | data | epochs | held out | baseline PSNR | baseline SSIM | gantry PSNR | gantry SSIM |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const runDir of positionals) {
  const { generator, config } = loadRunGenerator(runDir);
  const { heldOut } = await loadTaskData(config, { cacheDir: defaultCacheDir() });
  const s = evaluateHeldOut(generator, { ...config, evalCount: heldOut.count }, heldOut);
  const data = config.task === 'translate' && config.source != null ? `${config.source} → ${config.target}` : config.data ?? config.dataset;
  const f = (v: number, d: number) => v.toFixed(d);
  console.log(`| ${runDir} | ${config.task} | ${data} | ${config.epochs} | ${s.count} | ${f(s.baseline_psnr, 2)} | ${f(s.baseline_ssim, 4)} | ${f(s.psnr, 2)} | ${f(s.ssim, 4)} |`);
  if (values.pictures != null) {
    const k = Math.min(8, heldOut.count);
    const { truth, pairs, output, shape } = heldOutPass(generator, config, heldOut, k, true);
    const rows = [inputPicture(config.task as ImageTask, pairs.input, shape), pairs.baseline, output, truth].map(toBytes);
    const all = new Uint8Array(rows.reduce((n, r) => n + r.length, 0));
    rows.reduce((offset, r) => (all.set(r, offset), offset + r.length), 0);
    const grid = tileImages(all, 4 * k, config.imageSize, config.imageSize, config.channels, k);
    const name = `${config.task}-${(config.data ?? config.source ?? config.dataset).split('/').filter(Boolean).pop()}.png`;
    writeFileAtomic(join(values.pictures, name), encodePng(grid.width, grid.height, config.channels as 1 | 3, grid.pixels));
  }
  generator.store.dispose();
}
