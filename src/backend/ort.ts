/**
 * The one place that touches ONNX Runtime (npm `onnxruntime-node`, an optional dependency). Its public
 * `InferenceSession.run` is asynchronous, but a tfjs kernel must return synchronously, so this module uses the
 * package's native binding directly: `binding.InferenceSession#run` is synchronous. That binding is private
 * API, so the version is pinned exactly and `checkBinding` fails loudly if its shape changes.
 */
import { createRequire } from 'node:module';

export const ORT_VERSION = '1.30.0';

/** What the binding's run takes and returns: onnxruntime-common Tensors (type, data, dims). */
export interface OrtTensor {
  readonly type: string;
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

interface BindingSession {
  loadModel(buffer: ArrayBuffer, byteOffset: number, byteLength: number, options: object): void;
  run(
    feeds: Record<string, OrtTensor>,
    fetches: Record<string, OrtTensor | null>,
    options: object,
  ): Record<string, OrtTensor>;
  dispose(): void;
}

interface Binding {
  InferenceSession: new () => BindingSession;
  initOrtOnce: unknown;
}

export interface OrtRuntime {
  version: string;
  /** Compiles an ONNX model for the CPU with `threads` intra-op threads. */
  session(model: Uint8Array, threads: number): OrtSession;
  /** A Tensor over `data` (no copy): a view of the wasm heap works, for inputs and for outputs to fill. */
  tensor(data: Float32Array, dims: number[]): OrtTensor;
}

export interface OrtSession {
  /** Runs synchronously; each output is written into the tensor given for it. */
  run(feeds: Record<string, OrtTensor>, outputs: Record<string, OrtTensor>): void;
  dispose(): void;
}

/** The binding's members gantry relies on; a new onnxruntime-node that changes them must fail here, loudly. */
export function checkBinding(binding: unknown): asserts binding is Binding {
  const b = binding as Partial<Binding> | null;
  const proto =
    typeof b?.InferenceSession === 'function' ? (b.InferenceSession.prototype as Partial<BindingSession>) : null;
  const missing = [
    typeof b?.initOrtOnce === 'function' ? null : 'initOrtOnce',
    proto == null ? 'InferenceSession' : null,
    typeof proto?.loadModel === 'function' ? null : 'InferenceSession#loadModel',
    typeof proto?.run === 'function' ? null : 'InferenceSession#run',
    typeof proto?.dispose === 'function' ? null : 'InferenceSession#dispose',
  ].filter((m) => m != null);
  if (missing.length > 0)
    throw new Error(
      `onnxruntime-node's native binding changed (missing ${missing.join(', ')}); gantry needs onnxruntime-node ${ORT_VERSION}`,
    );
}

let loaded: OrtRuntime | null = null;

/** Loads ONNX Runtime, or throws an Error saying why it cannot (not installed, other version, no binary). */
export function loadOrt(): OrtRuntime {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  let version: string;
  try {
    version = (require('onnxruntime-node/package.json') as { version: string }).version;
  } catch {
    throw new Error('onnxruntime-node is not installed');
  }
  if (version !== ORT_VERSION)
    throw new Error(`onnxruntime-node ${version} is installed; gantry's native kernels need exactly ${ORT_VERSION}`);
  const module = require('onnxruntime-node/dist/binding') as { binding: unknown; initOrt: () => void };
  const common = require('onnxruntime-common') as {
    Tensor: new (type: string, data: Float32Array, dims: readonly number[]) => OrtTensor;
  };
  checkBinding(module.binding);
  module.initOrt();
  const binding = module.binding;
  loaded = {
    version,
    session(model, threads) {
      const s = new binding.InferenceSession();
      s.loadModel(model.buffer as ArrayBuffer, model.byteOffset, model.byteLength, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      return {
        run(feeds, outputs) {
          s.run(feeds, outputs, {});
        },
        dispose() {
          s.dispose();
        },
      };
    },
    tensor: (data, dims) => new common.Tensor('float32', data, dims),
  };
  return loaded;
}
