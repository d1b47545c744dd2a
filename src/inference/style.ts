/**
 * The stylegan family's pictures as files: the style-mixing grid (`gantry mix`) and a walk in w as an animated
 * WebP or GIF (`gantry sample --interpolate`). The tensor side is networks/style.ts.
 */
import { extname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { encodePng } from '../io/png.js';
import { generationLabels } from '../networks/generate.js';
import { layerRange, mixingImages, seedWs, styleControls, synthesizeBytes, walkWs } from '../networks/style.js';
import { tileImages } from '../util/pixels.js';
import { loadRunGenerator } from './sample.js';

export interface MixOptions {
  runDir: string;
  rows: number[];
  cols: number[];
  /** coarse, middle, fine or A-B: the layers each cell takes from its column's seed. */
  layers: string;
  truncation: number;
  gridFile: string;
}

/** Writes the style-mixing figure as one PNG; returns the w indices the columns gave. */
export function mixRun(options: MixOptions): [number, number] {
  const { generator, config } = loadRunGenerator(options.runDir);
  try {
    const style = styleControls(generator, config.architecture, 'gantry mix');
    const range = layerRange(style, options.layers);
    const labels = (n: number) => generationLabels(config, n);
    const rows = seedWs(style, options.rows, config.latentDim, options.truncation, labels(options.rows.length));
    const cols = seedWs(style, options.cols, config.latentDim, options.truncation, labels(options.cols.length));
    const images = mixingImages(style, rows, cols, range);
    tf.dispose([rows, cols]);
    const [h, w, c] = generator.outputShape;
    const n = (options.rows.length + 1) * (options.cols.length + 1);
    const grid = tileImages(images, n, h, w, c, options.cols.length + 1);
    writeFileAtomic(options.gridFile, encodePng(grid.width, grid.height, c as 1 | 3, grid.pixels));
    return range;
  } finally {
    generator.store.dispose();
  }
}

export interface WalkOptions {
  runDir: string;
  seeds: number[];
  frames: number;
  truncation: number;
  /** .webp or .gif */
  outFile: string;
  /** Milliseconds a frame. */
  delay?: number;
}

export const ANIMATION_FORMATS = ['.webp', '.gif'];

/** Writes a loop through the seeds' ws (linear in w) as an animated image; returns the number of frames. */
export async function walkRun(options: WalkOptions): Promise<number> {
  const format = extname(options.outFile).toLowerCase();
  if (!ANIMATION_FORMATS.includes(format))
    throw new UsageError(`--out ${options.outFile}: an animation is written as .webp or .gif`);
  const { generator, config } = loadRunGenerator(options.runDir);
  let bytes: Uint8Array;
  try {
    const style = styleControls(generator, config.architecture, 'gantry sample --interpolate');
    const ws = seedWs(
      style,
      options.seeds,
      config.latentDim,
      options.truncation,
      generationLabels(config, options.seeds.length),
    );
    const path = walkWs(style, ws, options.frames);
    bytes = synthesizeBytes(style, path);
    tf.dispose([ws, path]);
  } finally {
    generator.store.dispose();
  }
  const [h, w, c] = generator.outputShape;
  const frames = options.seeds.length * options.frames;
  // Gray frames go out as RGB (GIF and WebP encoders take 3 or 4 channels).
  const rgb = c === 3 ? bytes : Uint8Array.from({ length: bytes.length * 3 }, (_, i) => bytes[Math.floor(i / 3)]);
  const image = sharp(Buffer.from(rgb), { raw: { width: w, height: h * frames, channels: 3, pageHeight: h } });
  const animation = { loop: 0, delay: options.delay ?? 80 };
  const encoded = await (format === '.gif'
    ? image.gif(animation)
    : image.webp({ ...animation, lossless: true })
  ).toBuffer();
  writeFileAtomic(options.outFile, encoded);
  return frames;
}
