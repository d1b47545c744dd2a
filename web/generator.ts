/**
 * A run's generator in the studio's pages: `gantry/web` (src/browser/) loading the studio's generator endpoint, so
 * the playground and the Apply view run the code any page runs (gantry's own networks on WebGL, wasm or cpu).
 * Latent noise is the CLI's, so a seed gives the image `gantry sample` gives.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { GantryRun } from '../src/browser/index.js';
import { runPath } from './api.js';

export { BACKEND_CHOICES, type BackendChoice, useBackend } from '../src/browser/index.js';

setWasmPaths('/tfjs-wasm/');

/** The run's generator from the studio (`ema`: the moving average, where the run keeps one). */
export function loadRunGenerator(id: string, weights: 'ema' | 'raw'): Promise<GantryRun> {
  return GantryRun.load(`${runPath(id)}/generator?weights=${weights}`);
}

/** The first layer's kernel ('dense/kernel', [rows, cols]) for the latent directions; null if G has none. */
export function firstLayer(run: GantryRun): { kernel: Float32Array; cols: number } | null {
  const dense = run.tensor('dense/kernel');
  return dense != null && dense.shape.length === 2 && dense.shape[0] >= run.latentDim
    ? { kernel: dense.data, cols: dense.shape[1] }
    : null;
}
