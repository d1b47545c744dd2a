/**
 * `gantry/web`: a trained run in any web page. `gantry export --run DIR --out public/run` writes the files;
 * `loadRun('run/')` fetches them and builds the generator with gantry's own network code (every family, every
 * task) on the page's TensorFlow.js backend. Then `generate({ seed, count, class })` gives the images
 * `gantry sample` gives for that seed, and `apply(picture)` what `gantry upscale|colorize|inpaint|translate` gives.
 * Bundle it with esbuild or Vite; it imports '@tensorflow/tfjs' and nothing of Node.
 *
 *   import { decodeImage, encodePng, loadRun, useBackend } from 'gantry/web';
 *   await useBackend('auto');
 *   const run = await loadRun('runs/mnist/');
 *   const [first] = await run.generate({ seed: 7, count: 16 });
 */
import * as tf from '@tensorflow/tfjs';
import {
  type AppliedPicture,
  type ApplyItem,
  applyBaseline,
  applyGenerator,
  type Picture,
} from '../image2image/apply.js';
import type { ImageTask } from '../image2image/task.js';
import { type GeneratorManifest, generatorFromWeights, parseManifest } from '../inference/generator_weights.js';
import { generateImages, generationLabels, latentNoise } from '../networks/generate.js';
import type { Network, StyleControls } from '../networks/network.js';
import { layerRange, mixingImages, seedWs, wFileValues, wImageBytes } from '../networks/style.js';

export type { AppliedPicture, Picture } from '../image2image/apply.js';
export type { GeneratorManifest } from '../inference/generator_weights.js';
export { decodeImage, encodePng, type ImageSource, zipFiles } from './images.js';

export const BACKEND_CHOICES = ['auto', 'webgl', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/**
 * Activates a TensorFlow.js backend; `auto` tries WebGL, then wasm, then cpu (wasm only where the page imported
 * '@tensorflow/tfjs-backend-wasm'). Returns the one in use.
 */
export async function useBackend(choice: BackendChoice = 'auto'): Promise<string> {
  const all = ['webgl', 'wasm', 'cpu'];
  const order = choice === 'auto' ? all : [choice, ...all.filter((b) => b !== choice)];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch {
      // Not available here (no WebGL, no WebAssembly, not registered): try the next one.
    }
  }
  throw new Error('no TensorFlow.js backend could start');
}

/** Generated images as bytes: height × width × channels each (1 gray, 3 RGB). */
export interface GeneratedImage {
  width: number;
  height: number;
  channels: number;
  pixels: Uint8Array;
}

/** A run's generator, loaded in the page. */
export class GantryRun {
  private constructor(
    readonly manifest: GeneratorManifest,
    private readonly data: Float32Array,
    private readonly net: Network,
  ) {}

  /**
   * Loads a run from `url`: a folder written by `gantry export` (its gantry.json and generator.bin), or the
   * manifest's own URL (e.g. the studio's /api/runs/<id>/generator?weights=ema).
   */
  static async load(url: string, fetcher: typeof fetch = fetch): Promise<GantryRun> {
    const base = typeof location === 'undefined' ? undefined : location.href;
    // A folder (anything not naming a .json file or a query) holds gantry.json.
    const isManifest = /\.json$|\?/.test(url);
    const manifestUrl = new URL(isManifest ? url : `${url.replace(/\/?$/, '/')}gantry.json`, base);
    const manifest = parseManifest(await fetchOk(fetcher, manifestUrl).then((r) => r.json()), manifestUrl.href);
    const buffer = await fetchOk(fetcher, new URL(manifest.data, manifestUrl)).then((r) => r.arrayBuffer());
    if (buffer.byteLength % 4 !== 0) throw new Error(`${manifest.data}: not a float32 weights file`);
    // Little-endian, as every browser's typed arrays are.
    const data = new Float32Array(buffer);
    return new GantryRun(manifest, data, generatorFromWeights(manifest, data));
  }

  get config() {
    return this.manifest.config;
  }

  /** The image-to-image task the run was trained for, or 'none' for a GAN from latent noise. */
  get task(): 'none' | ImageTask {
    return this.config.task;
  }

  get latentDim(): number {
    return this.config.latentDim;
  }

  /** Classes a label may name; 0 for an unconditional G. */
  get numClasses(): number {
    return this.config.conditioning === 'none' ? 0 : this.config.numClasses;
  }

  /** [height, width, channels] of one generated image (for image-to-image runs: of one tile). */
  get imageShape(): [number, number, number] {
    const [height, width, channels] = this.net.outputShape;
    return [height, width, channels];
  }

  /** A stored weight by name (e.g. 'dense/kernel'), or null. */
  tensor(name: string): { shape: number[]; data: Float32Array } | null {
    const t = this.manifest.tensors.find((x) => x.name === name);
    if (t == null) return null;
    const size = t.shape.reduce((a, b) => a * b, 1);
    return { shape: t.shape, data: this.data.subarray(t.offset, t.offset + size) };
  }

  /** `count` images from `seed` (class `klass`, or the classes in turn): those `gantry sample` writes. */
  async generate(options: { seed?: number; count?: number; class?: number } = {}): Promise<GeneratedImage[]> {
    const count = options.count ?? 16;
    return this.generateLatents(
      latentNoise(options.seed ?? 0, count, this.latentDim),
      generationLabels(this.config, count, options.class),
    );
  }

  /**
   * Images for latent vectors z (n·latentDim) and, for a conditional G, one label each; `truncation` ψ pulls a
   * style-based G's w toward its mean (`gantry sample --truncation`).
   */
  async generateLatents(z: Float32Array, labels: Int32Array | null = null, truncation = 1): Promise<GeneratedImage[]> {
    if (this.task !== 'none') throw new Error(`this run maps images (task ${this.task}): use apply()`);
    const n = z.length / this.latentDim;
    if (this.numClasses > 0 && labels?.length !== n) throw new Error(`a conditional G needs ${n} labels`);
    return this.images(generateImages(this.net, z, this.latentDim, this.numClasses > 0 ? labels : null, truncation));
  }

  /** Whether G is style-based (a stylegan run): truncation, `mix` and `fromW` work. */
  get styleBased(): boolean {
    return this.net.style != null;
  }

  /**
   * `gantry mix`'s figure in reading order, (rows + 1) × (cols + 1) images, the first blank: the column seeds'
   * images on top, each row seed's image then its row's mixes (`layers`: coarse, middle, fine or A-B from the column).
   */
  async mix(rows: number[], cols: number[], layers: string, truncation = 1): Promise<GeneratedImage[]> {
    const style = this.styleOf('style mixing');
    const range = layerRange(style, layers);
    const labels = (n: number) => generationLabels(this.config, n);
    const r = seedWs(style, rows, this.latentDim, truncation, labels(rows.length));
    const c = seedWs(style, cols, this.latentDim, truncation, labels(cols.length));
    try {
      return this.images(mixingImages(style, r, c, range));
    } finally {
      tf.dispose([r, c]);
    }
  }

  /** The image of a w file written by `gantry project` (its parsed JSON): what `gantry sample --w` draws. */
  async fromW(parsed: unknown): Promise<GeneratedImage> {
    const style = this.styleOf('a w file');
    const values = wFileValues(parsed, style);
    if (values == null)
      throw new Error(`not a w file of this run (${style.numWs} × ${style.wDim}, from gantry project)`);
    return this.images(wImageBytes(style, values.ws, values.noise))[0];
  }

  private styleOf(what: string): StyleControls {
    if (this.net.style == null) throw new Error(`${what} needs a stylegan run`);
    return this.net.style;
  }

  private images(bytes: Uint8Array): GeneratedImage[] {
    const [height, width, channels] = this.imageShape;
    const size = height * width * channels;
    return Array.from({ length: bytes.length / size }, (_, i) => ({
      width,
      height,
      channels,
      pixels: bytes.subarray(i * size, (i + 1) * size),
    }));
  }

  /**
   * An image-to-image run applied to pictures of any size (inpainting: `mask` white where pixels are missing),
   * as `gantry upscale|colorize|inpaint|translate` applies it.
   */
  apply(picture: Picture, options: { mask?: Picture; overlap?: number; name?: string } = {}): AppliedPicture {
    return this.applyMany([{ picture, mask: options.mask }], {
      overlap: options.overlap,
      names: [options.name ?? 'image'],
    })[0];
  }

  /** `apply` over many pictures, their tiles batched together. */
  applyMany(items: ApplyItem[], options: { overlap?: number; names?: string[] } = {}): AppliedPicture[] {
    return applyGenerator(this.net, this.config, this.imageTask(), items, options);
  }

  /** What a user has without the run: bicubic upscaling, the gray picture, mean-colour holes, the source. */
  baseline(picture: Picture, options: { mask?: Picture; name?: string } = {}): AppliedPicture {
    return applyBaseline(this.config, this.imageTask(), { picture, mask: options.mask }, options.name);
  }

  dispose(): void {
    this.net.store.dispose();
  }

  private imageTask(): ImageTask {
    if (this.task === 'none') throw new Error('this run generates from latent noise: use generate()');
    return this.task;
  }
}

/** `GantryRun.load`. */
export const loadRun = (url: string, fetcher?: typeof fetch): Promise<GantryRun> => GantryRun.load(url, fetcher);

/** A picture from a canvas's ImageData (or any RGBA bytes of that shape). */
export function pictureFromImageData(image: {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}): Picture {
  const rgba = new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  let hasAlpha = false;
  for (let i = 3; i < rgba.length && !hasAlpha; i += 4) hasAlpha = rgba[i] !== 255;
  return { width: image.width, height: image.height, rgba, hasAlpha };
}

async function fetchOk(fetcher: typeof fetch, url: URL): Promise<Response> {
  const res = await fetcher(url.href);
  if (!res.ok) throw new Error(`${url.href}: ${res.status} ${res.statusText}`);
  return res;
}
