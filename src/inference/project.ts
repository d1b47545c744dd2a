/**
 * `gantry project`: the w (and noise maps) whose image under a stylegan run's G matches a real image, by the
 * method of StyleGAN2's appendix D, with gantry's own features in place of LPIPS: start at the mean w; Adam on one
 * w (given to every layer) and on the noise maps (from G's constant ones); the learning rate ramped up over the first 5% and down (cosine)
 * over the last 25%; Gaussian noise on w, of σ_w·0.05 fading to 0 by 75% of the steps, so the search starts wide;
 * the loss is the pixel MSE plus the feature distance on the run's data set's classifier (where gantry has one for
 * it), plus a small multiple of the noise maps' autocorrelation over a pyramid of scales (so the noise cannot paint
 * the image; each term scaled by the map's size, as our maps are small),
 * the maps renormalised to zero mean and unit variance after each step.
 * Writes the projected image, the target as G sees it, w as JSON and .npy, and the search as an animated WebP.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { decodeImageFile } from '../data/folder.js';
import { isDatasetName } from '../data/registry.js';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from '../io/files.js';
import { encodePng } from '../io/png.js';
import { builtinExtractor, builtinExtractorName, type FeatureExtractor } from '../metrics/extractor.js';
import type { StyleControls } from '../networks/network.js';
import { broadcastWs, styleControls, type WFile, wFileValues, wImageBytes } from '../networks/style.js';
import { Adam } from '../train/adam.js';
import { toBytes } from '../util/pixels.js';
import { Rng } from '../util/random.js';
import { loadRunGenerator } from './sample.js';

export interface ProjectOptions {
  runDir: string;
  image: string;
  outDir: string;
  steps: number;
  seed: number;
  /** Weight of the feature distance (0: pixels only). */
  featureWeight?: number;
  /** Frames in the progress animation. */
  frames?: number;
  /** Called every few steps with the step and the loss. */
  progress?: (step: number, loss: number) => void;
}

export type { WFile } from '../networks/style.js';

export interface Projection {
  /** The projected w [wDim] (every layer takes it), the image's PSNR against the target, and the files written. */
  w: Float32Array;
  psnr: number;
  files: string[];
}

/** The noise regulariser's weight (its terms are ~1 for white noise: see noiseRegularizer). */
const NOISE_WEIGHT = 1e-3;

/** Sum over a pyramid of scales of the squared autocorrelation of a noise map at shifts of one pixel (x and y). */
function noiseRegularizer(maps: tf.Variable[]): tf.Scalar {
  return tf.tidy(() => {
    let total = tf.scalar(0);
    for (const v of maps) {
      let n = v as tf.Tensor as tf.Tensor4D;
      for (;;) {
        const [, h, w] = n.shape;
        const rollW = tf.concat(
          [tf.slice(n, [0, 0, 1, 0], [-1, -1, w - 1, -1]), tf.slice(n, [0, 0, 0, 0], [-1, -1, 1, -1])],
          2,
        );
        const rollH = tf.concat(
          [tf.slice(n, [0, 1, 0, 0], [-1, h - 1, -1, -1]), tf.slice(n, [0, 0, 0, 0], [-1, 1, -1, -1])],
          1,
        );
        // Scaled by h·w: white noise scores ~1 at every size (the paper's maps are up to 1024², ours 4²–128²).
        const terms = tf.add(tf.square(tf.mean(tf.mul(n, rollW))), tf.square(tf.mean(tf.mul(n, rollH))));
        total = tf.add(total, tf.mul(terms, h * w)) as tf.Scalar;
        if (h <= 8 || h % 2 !== 0) break;
        n = tf.mean(tf.reshape(n, [1, h / 2, 2, w / 2, 2, 1]), [2, 4]) as tf.Tensor4D;
      }
    }
    return total;
  });
}

/** The target as floats in [−1, 1], [1, s, s, c], fitted the way the run's data were. */
async function readTarget(
  path: string,
  size: number,
  channels: 1 | 3,
  background: 'black' | 'white',
): Promise<tf.Tensor4D> {
  let pixels: Buffer;
  try {
    ({ pixels } = await decodeImageFile(path, {
      resolution: size,
      channels,
      fit: 'crop',
      background,
      strict: true,
      cacheDir: '',
    }));
  } catch (err) {
    throw new UsageError(`${path}: not a readable image (${(err as Error).message.split('\n')[0]})`);
  }
  return tf.tidy(() => tf.sub(tf.mul(tf.tensor4d(Float32Array.from(pixels), [1, size, size, channels]), 2 / 255), 1));
}

/** Features of images in [−1, 1] with the extractor's model, differentiably (same conversions as `extract`). */
function featureFn(
  extractor: FeatureExtractor,
  channels: number,
  size: number,
): ((x: tf.Tensor4D) => tf.Tensor) | null {
  if (extractor.features == null || extractor.inputSize !== size) return null;
  return (x) =>
    extractor.features!(
      channels === 3 && extractor.inputChannels === 1
        ? tf.mean(x, 3, true)
        : channels === 1 && extractor.inputChannels === 3
          ? tf.tile(x, [1, 1, 1, 3])
          : x,
    );
}

/** σ_w: the root mean squared distance of w from the mean w over 1,000 latents, as the paper estimates it. */
function wSpread(style: StyleControls, latentDim: number, seed: number): number {
  return tf.tidy(() => {
    const z = tf.tensor2d(new Rng(seed).normals(1000 * latentDim), [1000, latentDim]);
    const w = style.mapping(z);
    return Math.sqrt(tf.mean(tf.sum(tf.square(tf.sub(w, style.wAvg)), 1)).dataSync()[0]);
  });
}

/**
 * Where the search starts: the mean w or one of 255 sampled ws, whichever image is nearest the target in pixels
 * (the paper starts at the mean w; on a CPU budget of a few hundred steps a better start is cheaper than more steps,
 * and it keeps the search out of the far basins a small G has).
 */
function startingW(style: StyleControls, latentDim: number, seed: number, target: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => {
    const n = 255;
    const z = tf.tensor2d(new Rng(seed + 1).normals(n * latentDim), [n, latentDim]);
    const candidates = tf.concat([tf.reshape(style.wAvg, [1, style.wDim]), style.mapping(z)], 0) as tf.Tensor2D;
    const errors: number[] = [];
    for (let start = 0; start <= n; start += 64) {
      const size = Math.min(64, n + 1 - start);
      const images = style.synthesis(broadcastWs(style, tf.slice(candidates, [start, 0], [size, -1])));
      errors.push(...tf.mean(tf.square(tf.sub(tf.clipByValue(images, -1, 1), target)), [1, 2, 3]).dataSync());
    }
    const best = errors.indexOf(Math.min(...errors));
    return tf.slice(candidates, [best, 0], [1, -1]) as tf.Tensor2D;
  });
}

export async function projectImage(options: ProjectOptions): Promise<Projection> {
  const { generator, config } = loadRunGenerator(options.runDir);
  const variables: tf.Variable[] = [];
  let extractor: FeatureExtractor | null = null;
  try {
    const style = styleControls(generator, config.architecture, 'gantry project');
    if (config.conditioning !== 'none')
      throw new UsageError('gantry project: class-conditional runs are not supported yet');
    const [size, , channels] = generator.outputShape;
    // Named emoji sets composite transparency on white (data/emoji.ts); folders as the run's --background says.
    const background = config.data == null && config.dataset.startsWith('emoji') ? 'white' : config.background;
    const target = await readTarget(options.image, size, channels as 1 | 3, background);
    const featureWeight = options.featureWeight ?? 1;
    let features: ((x: tf.Tensor4D) => tf.Tensor) | null = null;
    if (featureWeight > 0 && config.data == null && isDatasetName(config.dataset)) {
      try {
        builtinExtractorName(config.dataset);
        extractor = await builtinExtractor(config.dataset);
        features = featureFn(extractor, channels, size);
      } catch {
        features = null;
      }
    }
    const targetFeatures = features ? tf.tidy(() => features!(target)) : null;
    // The feature distance relative to the target's features' mean square, so that the weight means the same on
    // every classifier (1: as much as a relative error of 100% in features, against the pixel MSE in [−1, 1]).
    const featureScale = targetFeatures
      ? featureWeight /
        Math.max(
          1e-8,
          tf.tidy(() => tf.mean(tf.square(targetFeatures)).dataSync()[0]),
        )
      : 0;
    const sigma = wSpread(style, config.latentDim, options.seed);
    const rng = new Rng(options.seed);
    const w = tf.variable(startingW(style, config.latentDim, options.seed, target), true, 'project/w');
    // The noise maps start as G's constant ones (what gantry sample draws with).
    const noise = style.noiseConst.map((n, i) => tf.variable(tf.clone(n), true, `project/noise${i}`));
    variables.push(w, ...noise);
    const adam = new Adam({ lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const frames = options.frames ?? 24;
    const frameBytes: Uint8Array[] = [];
    const image = (wNoise: tf.Tensor2D) =>
      style.synthesis(broadcastWs(style, wNoise), noise as tf.Tensor[] as tf.Tensor4D[]);
    for (let step = 0; step < options.steps; step++) {
      const t = step / options.steps;
      const ramp = Math.min(1, (1 - t) / 0.25);
      adam.options.lr = 0.1 * (0.5 - 0.5 * Math.cos(ramp * Math.PI)) * Math.min(1, t / 0.05 + 1 / options.steps);
      const wNoiseScale = sigma * 0.05 * Math.max(0, 1 - t / 0.75) ** 2;
      const jitter = tf.tensor2d(rng.normals(style.wDim), [1, style.wDim]);
      const loss = adam.minimize(
        () =>
          tf.tidy(() => {
            // Compared as shown: clipped to [−1, 1] (a saturated target pixel is matched by any value beyond it).
            const x = tf.clipByValue(
              image(tf.add(w, tf.mul(jitter, wNoiseScale)) as tf.Tensor2D),
              -1,
              1,
            ) as tf.Tensor4D;
            let l = tf.mean(tf.square(tf.sub(x, target))) as tf.Scalar;
            if (features && targetFeatures)
              l = tf.add(l, tf.mul(featureScale, tf.mean(tf.square(tf.sub(features(x), targetFeatures))))) as tf.Scalar;
            return tf.add(l, tf.mul(NOISE_WEIGHT, noiseRegularizer(noise))) as tf.Scalar;
          }),
        true,
        variables,
      )!;
      jitter.dispose();
      tf.tidy(() => {
        for (const n of noise) {
          const centred = tf.sub(n, tf.mean(n));
          n.assign(tf.div(centred, tf.sqrt(tf.add(tf.mean(tf.square(centred)), 1e-8))));
        }
      });
      if (options.progress && (step % 25 === 0 || step === options.steps - 1))
        options.progress(step + 1, loss.dataSync()[0]);
      loss.dispose();
      if (step % Math.max(1, Math.floor(options.steps / frames)) === 0 || step === options.steps - 1) {
        const x = tf.tidy(() => image(w as tf.Tensor as tf.Tensor2D));
        frameBytes.push(toBytes(x.dataSync() as Float32Array));
        x.dispose();
      }
    }
    const final = tf.tidy(() => image(w as tf.Tensor as tf.Tensor2D));
    const finalBytes = toBytes(final.dataSync() as Float32Array);
    const mse = tf.tidy(
      () => tf.mean(tf.square(tf.mul(tf.sub(tf.clipByValue(final, -1, 1), target), 0.5))).dataSync()[0],
    );
    const psnr = 10 * Math.log10(1 / Math.max(mse, 1e-12));
    final.dispose();
    const targetBytes = tf.tidy(() => toBytes(target.dataSync() as Float32Array));
    tf.dispose([target, ...(targetFeatures ? [targetFeatures] : [])]);
    const wValues = w.dataSync().slice() as Float32Array;
    const noiseValues = noise.map((n) => Array.from(n.dataSync()));
    const files = await writeProjection(
      options.outDir,
      style,
      wValues,
      noiseValues,
      size,
      channels,
      finalBytes,
      targetBytes,
      frameBytes,
    );
    return { w: wValues, psnr, files };
  } finally {
    tf.dispose(variables);
    extractor?.dispose();
    generator.store.dispose();
  }
}

/** A little-endian float32 .npy file of the given shape (NumPy's format version 1.0). */
function npy(values: Float32Array, shape: number[]): Uint8Array {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header = `${header.padEnd(header.length + ((64 - (total % 64)) % 64), ' ')}\n`;
  const out = new Uint8Array(10 + header.length + values.byteLength);
  out.set([0x93, ...Array.from('NUMPY', (ch) => ch.charCodeAt(0)), 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(
    Array.from(header, (ch) => ch.charCodeAt(0)),
    10,
  );
  out.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength), 10 + header.length);
  return out;
}

async function writeProjection(
  outDir: string,
  style: StyleControls,
  w: Float32Array,
  noise: number[][],
  size: number,
  channels: number,
  image: Uint8Array,
  target: Uint8Array,
  frames: Uint8Array[],
): Promise<string[]> {
  const c = channels as 1 | 3;
  const files = {
    image: join(outDir, 'projected.png'),
    target: join(outDir, 'target.png'),
    json: join(outDir, 'w.json'),
    npy: join(outDir, 'w.npy'),
    animation: join(outDir, 'progress.webp'),
  };
  writeFileAtomic(files.image, encodePng(size, size, c, image));
  writeFileAtomic(files.target, encodePng(size, size, c, target));
  const ws = Array.from({ length: style.numWs }, () => Array.from(w));
  writeFileAtomic(files.json, `${JSON.stringify({ format: 'gantry-w', ws, noise } satisfies WFile)}\n`);
  const all = new Float32Array(style.numWs * style.wDim);
  for (let i = 0; i < style.numWs; i++) all.set(w, i * style.wDim);
  writeFileAtomic(files.npy, npy(all, [style.numWs, style.wDim]));
  // Each frame beside the target, as RGB.
  const rgb = (b: Uint8Array) =>
    c === 3 ? b : Uint8Array.from({ length: b.length * 3 }, (_, i) => b[Math.floor(i / 3)]);
  const row = new Uint8Array(frames.length * size * 2 * size * 3);
  const t = rgb(target);
  frames.forEach((f, k) => {
    const fr = rgb(f);
    for (let y = 0; y < size; y++) {
      const base = (k * size + y) * 2 * size * 3;
      row.set(fr.subarray(y * size * 3, (y + 1) * size * 3), base);
      row.set(t.subarray(y * size * 3, (y + 1) * size * 3), base + size * 3);
    }
  });
  const webp = await sharp(Buffer.from(row), {
    raw: { width: 2 * size, height: frames.length * size, channels: 3, pageHeight: size },
  })
    .webp({ loop: 0, delay: 120, lossless: true })
    .toBuffer();
  writeFileAtomic(files.animation, webp);
  return Object.values(files);
}

/**
 * Reads ws written by `gantry project` (w.json, with the noise maps, or w.npy, ws only) for a G with `numWs` ×
 * `wDim` styles.
 */
export function readWFile(path: string, style: StyleControls): { ws: Float32Array; noise: Float32Array[] | null } {
  const { numWs, wDim } = style;
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new UsageError(`--w ${path}: cannot read the file`);
  }
  let values: Float32Array | null = null;
  let noise: Float32Array[] | null = null;
  if (bytes[0] === 0x93 && bytes.subarray(1, 6).toString('latin1') === 'NUMPY') {
    const headerLength = bytes[8] | (bytes[9] << 8);
    const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
    const body = bytes.subarray(10 + headerLength);
    if (header.includes("'<f4'") && body.length === numWs * wDim * 4)
      values = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
  } else {
    try {
      const read = wFileValues(JSON.parse(bytes.toString('utf8')), style);
      values = read?.ws ?? null;
      noise = read?.noise ?? null;
    } catch {
      values = null;
    }
  }
  if (values == null)
    throw new UsageError(
      `--w ${path}: not a w file of this run (${numWs} × ${wDim} float32, as gantry project writes)`,
    );
  return { ws: values, noise };
}

/** `gantry sample --w FILE --out image.png`: the image of a projected w (constant noise). */
export function sampleFromW(runDir: string, wPath: string, outFile: string): void {
  const { generator, config } = loadRunGenerator(runDir);
  try {
    const style = styleControls(generator, config.architecture, 'gantry sample --w');
    const read = readWFile(wPath, style);
    const bytes = wImageBytes(style, read.ws, read.noise);
    const [h, w, c] = generator.outputShape;
    writeFileAtomic(outFile, encodePng(w, h, c as 1 | 3, bytes));
  } finally {
    generator.store.dispose();
  }
}
