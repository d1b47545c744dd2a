/**
 * `node dist/scripts/upscaler_peers.js --run DIR --peers DIR [--count 300] [--out DIR]`: the peer table of
 * docs/IMAGE2IMAGE.md ("Against UpscalerJS"). A gantry `--task superres` run against UpscalerJS's ESRGAN thick,
 * medium and slim ×4 models and bicubic, on the first N held-out images of the Google emoji set (64×64 truth,
 * gantry's area downscale to 16×16 rounded to bytes as the one input every method gets). Each output is rounded to
 * bytes and judged by gantry's PSNR and SSIM against the truth; prints a markdown table, and with --out writes
 * `superres-upscalerjs.png` (rows: a few images; columns: input | bicubic | ESRGAN thick | gantry | truth).
 *
 * Nothing is installed or downloaded at run time. The UpscalerJS packages live in a folder of their own (--peers),
 * installed there with
 *   npm install --prefix DIR --legacy-peer-deps upscaler@1.0.0 @upscalerjs/esrgan-thick@1.0.0 \
 *     @upscalerjs/esrgan-medium@1.0.0 @upscalerjs/esrgan-slim@1.0.0
 * (the weights come inside the packages); without them the script prints that command and exits 2. They run
 * through UpscalerJS's own Node entry (`upscaler/node`: its pre- and post-processing and model definitions) on
 * gantry's plain @tensorflow/tfjs 4.22 with tfjs's stock wasm backend: that entry loads tfjs-node, so its requests
 * for @tensorflow/tfjs-node and -core are answered with gantry's tfjs, and the model URLs it makes (file://) are
 * read from the package folders by a file IO handler. On this path the three models reproduce their packages' own
 * 4× sample (assets/samples/4x/result.png from assets/fixture.png) to within 1 in 255. gantry's generator runs
 * afterwards on gantry's own backend (`auto`), as `gantry upscale` would run it.
 */
import { existsSync, readFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { useBackend } from '../src/backend/index.js';
import { nativeThreads } from '../src/backend/kernel_overrides.js';
import { defaultCacheDir } from '../src/data/idx_sets.js';
import { datasetOf } from '../src/data/registry.js';
import { areaDownscale, bicubicResize, clampUnit } from '../src/image2image/degrade.js';
import { tiledApply } from '../src/image2image/tiling.js';
import { loadRunGenerator } from '../src/inference/sample.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { fileModelLoader } from '../src/io/export.js';
import { writeFileAtomic } from '../src/io/files.js';
import { encodePng } from '../src/io/png.js';
import { meanPsnr, meanSsim } from '../src/metrics/image_quality.js';
import { runGenerator } from '../src/networks/generate.js';
import { CHECKPOINT_FILE, type TrainState } from '../src/train/state.js';
import { tileImages, toBytes } from '../src/util/pixels.js';

const SIDE = 64;
const SCALE = 4;
const SMALL = SIDE / SCALE;
const CHANNELS = 3;
/** The packages and versions measured (they declare a peer @tensorflow/tfjs ~4.11.0 and run on 4.22). */
const PEERS = [
  'upscaler@1.0.0',
  '@upscalerjs/esrgan-thick@1.0.0',
  '@upscalerjs/esrgan-medium@1.0.0',
  '@upscalerjs/esrgan-slim@1.0.0',
];
const ESRGAN = ['thick', 'medium', 'slim'] as const;
/** --legacy-peer-deps: the packages run on gantry's tfjs, so npm need not fetch the tfjs 4.11 they name as a peer. */
const peerInstall = (dir: string) => `npm install --prefix ${dir} --legacy-peer-deps ${PEERS.join(' ')}`;

/** What the script uses of UpscalerJS's API. */
interface Upscaler {
  execute(image: tf.Tensor3D, options: { output: 'tensor' }): Promise<tf.Tensor3D>;
  dispose(): Promise<void>;
}
type UpscalerClass = new (options: { model: unknown }) => Upscaler;

interface Method {
  name: string;
  /** n·64·64·3 bytes. */
  output: Uint8Array;
  msPerImage: number;
}

/** Each pixel of n side×side images repeated f×f times. */
function nearestUpscale(pixels: Uint8Array, n: number, side: number, c: number, f: number): Uint8Array {
  const big = side * f;
  const out = new Uint8Array(n * big * big * c);
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

const threads = (k: number) => `${k} thread${k === 1 ? '' : 's'}`;
const unit = (bytes: Uint8Array) => Float32Array.from(bytes, (b) => b / 127.5 - 1);

/** Runs `one` on each of n images (after one untimed warm-up call) → the outputs back to back and ms per image. */
async function measure(name: string, n: number, one: (i: number) => Uint8Array | Promise<Uint8Array>): Promise<Method> {
  const size = SIDE * SIDE * CHANNELS;
  const output = new Uint8Array(n * size);
  await one(0);
  const start = performance.now();
  for (let i = 0; i < n; i++) output.set(await one(i), i * size);
  return { name, output, msPerImage: (performance.now() - start) / n };
}

/**
 * UpscalerJS's Node entry with gantry's tfjs standing in for tfjs-node (only requests from the peers folder are
 * redirected), and file:// model URLs read from disk.
 */
function loadUpscalerJs(peersDir: string): { Upscaler: UpscalerClass; models: Record<string, unknown> } {
  const ours = createRequire(import.meta.url);
  const aliases: Record<string, string> = {
    '@tensorflow/tfjs-node': ours.resolve('@tensorflow/tfjs'),
    '@tensorflow/tfjs-core': ours.resolve('@tensorflow/tfjs-core'),
  };
  const internals = Module as unknown as {
    _resolveFilename(request: string, parent: { filename?: string } | null, ...rest: unknown[]): string;
  };
  const original = internals._resolveFilename;
  internals._resolveFilename = function (request, parent, ...rest) {
    const alias = aliases[request];
    if (alias != null && parent?.filename?.startsWith(peersDir + sep)) return alias;
    return original.call(this, request, parent, ...rest);
  };
  // A router answers null for URLs it does not take (tfjs's IORouter type leaves that out).
  const fileRouter = (url: string | string[]) =>
    typeof url === 'string' && url.startsWith('file://') ? fileModelLoader(dirname(fileURLToPath(url))) : null;
  tf.io.registerLoadRouter(fileRouter as Parameters<typeof tf.io.registerLoadRouter>[0]);
  const theirs = createRequire(join(peersDir, 'package.json'));
  const Upscaler = theirs('upscaler/node') as UpscalerClass;
  const models = Object.fromEntries(ESRGAN.map((size) => [size, theirs(`@upscalerjs/esrgan-${size}/4x`)]));
  return { Upscaler, models };
}

const { values } = parseArgs({
  options: {
    run: { type: 'string' },
    peers: { type: 'string' },
    count: { type: 'string', default: '300' },
    out: { type: 'string' },
  },
});
if (values.run == null || values.peers == null) {
  console.error('usage: node dist/scripts/upscaler_peers.js --run DIR --peers DIR [--count 300] [--out DIR]');
  process.exit(2);
}
const peersDir = resolve(values.peers);
const installed = PEERS.map((spec) => {
  const name = spec.slice(0, spec.lastIndexOf('@'));
  const file = join(peersDir, 'node_modules', name, 'package.json');
  return existsSync(file) ? `${name}@${JSON.parse(readFileSync(file, 'utf8')).version}` : null;
});
if (installed.includes(null)) {
  console.error(peerInstall(values.peers));
  process.exit(2);
}
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1) {
  console.error(`--count must be a positive integer, got ${values.count}`);
  process.exit(2);
}

// The data: the first N held-out Google emoji, and the 16×16 input every method gets (as a 16×16 file holds it).
const google = await datasetOf('emoji-google').load('test', { cacheDir: defaultCacheDir() });
const n = Math.min(count, google.count);
const truth = google.images.subarray(0, n * SIDE * SIDE * CHANNELS);
const small = toBytes(areaDownscale(unit(truth), n, SIDE, SIDE, CHANNELS, SCALE));
const smallSize = SMALL * SMALL * CHANNELS;
const smallImage = (i: number) => small.subarray(i * smallSize, (i + 1) * smallSize);
/** What gantry's superres G gets for a 16×16 picture (as `gantry upscale` makes it): bicubic ×4, clamped. */
const bicubic = (i: number) => clampUnit(bicubicResize(unit(smallImage(i)), 1, SMALL, SMALL, CHANNELS, SIDE, SIDE));

const methods: Method[] = [];
const bicubicMethod = await measure('bicubic', n, (i) => toBytes(bicubic(i)));
methods.push(bicubicMethod);

// UpscalerJS first, on the stock wasm backend (gantry's backend choice registers kernels of its own on it).
if (!(await tf.setBackend('wasm'))) throw new Error("tfjs's wasm backend failed to initialise");
const { Upscaler, models } = loadUpscalerJs(peersDir);
for (const size of ESRGAN) {
  const upscaler = new Upscaler({ model: models[size] });
  methods.push(
    await measure(`UpscalerJS ESRGAN-${size} ×4`, n, async (i) => {
      const input = tf.tensor3d(smallImage(i), [SMALL, SMALL, CHANNELS], 'int32');
      const output = await upscaler.execute(input, { output: 'tensor' });
      const bytes = Uint8Array.from(output.dataSync(), (v) => Math.max(0, Math.min(255, Math.round(v))));
      tf.dispose([input, output]);
      return bytes;
    }),
  );
  await upscaler.dispose();
}

// gantry: the run's G applied as `gantry upscale` applies it to a 16×16 picture (one 64×64 tile).
const backend = await useBackend('auto');
const { generator, config } = loadRunGenerator(values.run);
if (config.task !== 'superres' || config.srScale !== SCALE || config.imageSize !== SIDE || config.channels !== 3)
  throw new Error(`--run ${values.run} is not a ×${SCALE} --task superres run on ${SIDE}×${SIDE} RGB images`);
const { state } = readCheckpoint<TrainState>(join(values.run, CHECKPOINT_FILE));
const trained = `${state.epoch - 1} epoch${state.epoch === 2 ? '' : 's'} on ${config.data ?? config.dataset}`;
const tensorsBefore = tf.memory().numTensors;
const gantryMethod = await measure(`gantry (${trained})`, n, (i) =>
  toBytes(
    tiledApply(bicubic(i), SIDE, SIDE, CHANNELS, SIDE, SIDE / 4, CHANNELS, (tiles, k) =>
      runGenerator(generator, tiles, k),
    ),
  ),
);
methods.push(gantryMethod);
if (tf.memory().numTensors !== tensorsBefore) throw new Error('gantry leaked tensors');
generator.store.dispose();

const quality = { height: SIDE, width: SIDE, channels: CHANNELS };
console.log(
  `${n} held-out emoji-google images, ${SMALL}×${SMALL} → ${SIDE}×${SIDE}; ${installed.join(', ')}, @tensorflow/tfjs ${tf.version.tfjs}; UpscalerJS on tfjs's wasm backend (${threads(getThreadsCount())}), gantry on ${backend === 'native' ? `native (${threads(nativeThreads())})` : backend}`,
);
console.log('');
console.log('| method | PSNR dB | SSIM | ms per image |');
console.log('|---|---|---|---|');
for (const m of methods) {
  const psnr = meanPsnr(m.output, truth, quality).toFixed(2);
  const ssim = meanSsim(m.output, truth, quality).toFixed(4);
  console.log(`| ${m.name} | ${psnr} | ${ssim} | ${m.msPerImage.toFixed(1)} |`);
}

if (values.out != null) {
  const rows = Math.min(6, n);
  const columns = [
    nearestUpscale(small, n, SMALL, CHANNELS, SCALE),
    bicubicMethod.output,
    methods.find((m) => m.name.includes('thick'))!.output,
    gantryMethod.output,
    truth,
  ];
  const size = SIDE * SIDE * CHANNELS;
  const all = new Uint8Array(rows * columns.length * size);
  for (let r = 0; r < rows; r++) {
    const image = Math.floor((r * n) / rows);
    columns.forEach((col, k) =>
      all.set(col.subarray(image * size, (image + 1) * size), (r * columns.length + k) * size),
    );
  }
  const grid = tileImages(all, rows * columns.length, SIDE, SIDE, CHANNELS, columns.length);
  const file = join(values.out, 'superres-upscalerjs.png');
  writeFileAtomic(file, encodePng(grid.width, grid.height, CHANNELS, grid.pixels));
  console.log(
    `\nwrote ${file} (rows: images ${Array.from({ length: rows }, (_, r) => Math.floor((r * n) / rows)).join(', ')}; columns: input, bicubic, ESRGAN-thick, gantry, truth)`,
  );
}
