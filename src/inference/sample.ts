/** `gantry sample`'s library side: a run's generator from its checkpoint, and images from it as PNG files. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseSavedConfig, type TrainConfig } from '../config.js';
import { CheckpointError, readCheckpoint } from '../io/checkpoint.js';
import { writeFileAtomic } from '../io/files.js';
import { encodePng } from '../io/png.js';
import { generateImages, generationLabels, latentNoise } from '../networks/generate.js';
import type { Network } from '../networks/network.js';
import { styleControls } from '../networks/style.js';
import { assignVariables, buildGenerator } from '../train/gan.js';
import { CHECKPOINT_FILE, type TrainState } from '../train/state.js';
import { enlarge, tileImages } from '../util/pixels.js';

export interface SampleOptions {
  runDir: string;
  count: number;
  seed: number;
  /** Folder for one PNG per image (NNNN.png). */
  outDir?: string;
  /** One grid PNG of all images. */
  gridFile?: string;
  /** Conditional runs: draw only this class (default: the classes in turn). */
  classIndex?: number;
  /** stylegan runs: ψ, how far w stays from the mean w (1: untruncated). */
  truncation?: number;
  /** Each image enlarged this many times, nearest neighbour (1: as generated). */
  scale?: number;
}

/** Loads a run's generator from its checkpoint (so it needs nothing but the run folder). */
export function loadRunGenerator(runDir: string): { generator: Network; config: TrainConfig } {
  const path = join(runDir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new CheckpointError(`${runDir} is not a gantry run folder (no ${CHECKPOINT_FILE})`);
  const { state, tensors } = readCheckpoint<TrainState>(path);
  const config = parseSavedConfig(state.config, path);
  const generator = buildGenerator(config);
  // A run that keeps the moving average of G's weights samples with it.
  const prefix = tensors.has(`G_ema/${generator.store.params.keys().next().value}`) ? 'G_ema' : 'G';
  const prefixed = new Map([...generator.store.all()].map(([name, v]) => [`${prefix}/${name}`, v]));
  try {
    assignVariables(prefixed, tensors, path);
  } catch (err) {
    generator.store.dispose();
    throw new CheckpointError((err as Error).message);
  }
  return { generator, config };
}

/** Writes `count` generated images from `seed` as PNG files and/or a grid; returns the files written. */
export function sampleRun(options: SampleOptions): string[] {
  const { generator, config } = loadRunGenerator(options.runDir);
  try {
    if ((options.truncation ?? 1) !== 1) styleControls(generator, config.architecture, '--truncation');
    const z = latentNoise(options.seed, options.count, config.latentDim);
    const generated = generateImages(
      generator,
      z,
      config.latentDim,
      generationLabels(config, options.count, options.classIndex),
      options.truncation ?? 1,
    );
    const k = options.scale ?? 1;
    const [gh, gw, c] = generator.outputShape;
    const images = enlarge(generated, options.count, gh, gw, c, k);
    const [h, w] = [gh * k, gw * k];
    const size = h * w * c;
    const written: string[] = [];
    if (options.outDir != null) {
      const digits = Math.max(4, String(options.count - 1).length);
      for (let i = 0; i < options.count; i++) {
        const file = join(options.outDir, `${String(i).padStart(digits, '0')}.png`);
        writeFileAtomic(file, encodePng(w, h, c as 1 | 3, images.subarray(i * size, (i + 1) * size)));
        written.push(file);
      }
    }
    if (options.gridFile != null) {
      const grid = tileImages(images, options.count, h, w, c, Math.ceil(Math.sqrt(options.count)));
      writeFileAtomic(options.gridFile, encodePng(grid.width, grid.height, c as 1 | 3, grid.pixels));
      written.push(options.gridFile);
    }
    return written;
  } finally {
    generator.store.dispose();
  }
}
