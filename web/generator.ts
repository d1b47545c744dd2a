/**
 * A run's generator in the browser: gantry's own network code (src/networks, plain tfjs ops) built from the run's
 * config, its variables filled from the studio's generator endpoint, run on WebGL, wasm or cpu. Latent noise is
 * the CLI's (src/networks/generate.ts), so a seed gives the image `gantry sample` gives.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { networkSpec, type TrainConfig } from '../src/config.js';
import { FAMILIES } from '../src/networks/families.js';
import type { Network } from '../src/networks/network.js';
import { toBytes } from '../src/util/pixels.js';
import { type GeneratorManifest, getBinary, getJson, runPath } from './api.js';

export const BACKEND_CHOICES = ['auto', 'webgl', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

setWasmPaths('/tfjs-wasm/');

/** Activates a backend; `auto` tries WebGL, then wasm, then cpu. Returns the one in use. */
export async function useBackend(choice: BackendChoice): Promise<string> {
  const order =
    choice === 'auto' ? ['webgl', 'wasm', 'cpu'] : [choice, ...['webgl', 'wasm', 'cpu'].filter((b) => b !== choice)];
  for (const name of order) {
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        return tf.getBackend();
      }
    } catch {
      // Not available in this browser (no WebGL, no WebAssembly): try the next one.
    }
  }
  throw new Error('no tfjs backend could start');
}

export class BrowserGenerator {
  private constructor(
    readonly config: TrainConfig,
    readonly weights: 'ema' | 'raw',
    private net: Network,
    /** The first layer's kernel ('dense/kernel', [rows, cols]), for the latent directions; null if G has none. */
    readonly firstLayer: { kernel: Float32Array; cols: number } | null,
  ) {}

  /** Builds G for the run and loads its weights (`ema`: the moving average, where the run keeps one). */
  static async load(id: string, weights: 'ema' | 'raw'): Promise<BrowserGenerator> {
    const query = `weights=${weights}`;
    const [manifest, buffer] = await Promise.all([
      getJson<GeneratorManifest>(`${runPath(id)}/generator?${query}`),
      getBinary(`${runPath(id)}/generator.bin?${query}`),
    ]);
    const { config } = manifest;
    const family = FAMILIES[config.architecture];
    if (family == null) throw new Error(`unknown architecture '${config.architecture}'`);
    const data = new Float32Array(buffer);
    const net = family.generator(networkSpec(config), 0);
    const tensors = new Map(manifest.tensors.map((t) => [t.name, t]));
    try {
      for (const [name, variable] of net.store.all()) {
        const t = tensors.get(name);
        if (t == null) throw new Error(`generator weights lack '${name}'`);
        if (t.shape.join() !== variable.shape.join())
          throw new Error(`'${name}': expected shape [${variable.shape}], the run has [${t.shape}]`);
        const size = t.shape.reduce((a, b) => a * b, 1);
        if (t.offset + size > data.length) throw new Error(`'${name}' lies past the end of generator.bin`);
        const value = tf.tensor(data.slice(t.offset, t.offset + size), t.shape, variable.dtype);
        variable.assign(value);
        value.dispose();
      }
    } catch (err) {
      net.store.dispose();
      throw err;
    }
    const dense = tensors.get('dense/kernel');
    const firstLayer =
      dense != null && dense.shape.length === 2 && dense.shape[0] >= config.latentDim
        ? { kernel: data.slice(dense.offset, dense.offset + dense.shape[0] * dense.shape[1]), cols: dense.shape[1] }
        : null;
    return new BrowserGenerator(config, manifest.weights, net, firstLayer);
  }

  get latentDim(): number {
    return this.config.latentDim;
  }

  /** Classes a label may name; 0 for an unconditional G. */
  get numClasses(): number {
    return this.config.conditioning === 'none' ? 0 : this.config.numClasses;
  }

  /** [height, width, channels] of one image. */
  get imageShape(): [number, number, number] {
    const [height, width, channels] = this.net.outputShape;
    return [height, width, channels];
  }

  /** Images for latent vectors z (n·latentDim) and, for a conditional G, one label each; bytes, H·W·C each. */
  async generate(z: Float32Array, labels: Int32Array | null): Promise<Uint8Array[]> {
    const n = z.length / this.latentDim;
    if (this.numClasses > 0 && (labels == null || labels.length !== n))
      throw new Error(`a conditional G needs ${n} labels`);
    const images = tf.tidy(() =>
      this.net.apply(
        tf.tensor2d(z, [n, this.latentDim]),
        { training: false },
        this.numClasses > 0 ? tf.tensor1d(labels!, 'int32') : undefined,
      ),
    );
    const values = (await images.data()) as Float32Array;
    images.dispose();
    const bytes = toBytes(values);
    const size = bytes.length / n;
    return Array.from({ length: n }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
  }

  dispose(): void {
    this.net.store.dispose();
  }
}
