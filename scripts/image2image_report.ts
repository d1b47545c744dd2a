/**
 * `node dist/scripts/image2image_report.js RUN [RUN...] [--pictures DIR]`: the numbers and pictures behind
 * docs/IMAGE2IMAGE.md. For each image-to-image run: PSNR and SSIM of its generator and of the task's baseline on
 * every held-out image (a markdown table row), and a picture of eight held-out images from across the set in rows
 * input | baseline | gantry | truth.
 */
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { useBackend } from '../src/backend/index.js';
import { defaultCacheDir } from '../src/data/idx_sets.js';
import { areaDownscale } from '../src/image2image/degrade.js';
import { type ImageTask, inputPicture } from '../src/image2image/task.js';
import { evaluateHeldOut, heldOutPass, loadTaskData } from '../src/image2image/training.js';
import { loadRunGenerator } from '../src/inference/sample.js';
import { writeFileAtomic } from '../src/io/files.js';
import { encodePng } from '../src/io/png.js';
import { tileImages, toBytes } from '../src/util/pixels.js';

/** Each pixel of n side×side images repeated f×f times. */
function nearestUpscale(pixels: Float32Array, n: number, side: number, c: number, f: number): Float32Array {
  const big = side * f;
  const out = new Float32Array(n * big * big * c);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < big; y++) {
      for (let x = 0; x < big; x++) {
        const from = ((i * side + Math.floor(y / f)) * side + Math.floor(x / f)) * c;
        out.set(pixels.subarray(from, from + c), ((i * big + y) * big + x) * c);
      }
    }
  }
  return out;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { pictures: { type: 'string' } } });
await useBackend('auto');
console.log('| run | task | data | epochs | held out | baseline PSNR | baseline SSIM | gantry PSNR | gantry SSIM |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const runDir of positionals) {
  const { generator, config } = loadRunGenerator(runDir);
  const { heldOut } = await loadTaskData(config, { cacheDir: defaultCacheDir() });
  const s = evaluateHeldOut(generator, { ...config, evalCount: heldOut.count }, heldOut);
  const data =
    config.task === 'translate' && config.source != null
      ? `${config.source} → ${config.target}`
      : (config.data ?? config.dataset);
  const f = (v: number, d: number) => v.toFixed(d);
  console.log(
    `| ${runDir} | ${config.task} | ${data} | ${config.epochs} | ${s.count} | ${f(s.baseline_psnr, 2)} | ${f(s.baseline_ssim, 4)} | ${f(s.psnr, 2)} | ${f(s.ssim, 4)} |`,
  );
  if (values.pictures != null) {
    const k = Math.min(8, heldOut.count);
    const { truth, pairs, output, shape } = heldOutPass(generator, config, heldOut, k, true);
    // Super-resolution's input row shows the low-resolution image itself (pixels enlarged), not its bicubic upscaling.
    const s = config.imageSize,
      f = config.srScale,
      c = config.channels;
    const input =
      config.task === 'superres'
        ? nearestUpscale(areaDownscale(truth, k, s, s, c, f), k, s / f, c, f)
        : inputPicture(config.task as ImageTask, pairs.input, shape);
    const rows = [input, pairs.baseline, output, truth].map(toBytes);
    const all = new Uint8Array(rows.reduce((n, r) => n + r.length, 0));
    let offset = 0;
    for (const r of rows) {
      all.set(r, offset);
      offset += r.length;
    }
    const grid = tileImages(all, 4 * k, config.imageSize, config.imageSize, config.channels, k);
    writeFileAtomic(
      join(values.pictures, `${basename(runDir)}.png`),
      encodePng(grid.width, grid.height, config.channels as 1 | 3, grid.pixels),
    );
  }
  generator.store.dispose();
}
