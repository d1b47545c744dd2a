/**
 * Backend selection. `auto` prefers tfjs-node's native TensorFlow when the user has it installed, then `native`
 * (the WebAssembly backend with its heavy kernels run natively: convolutions by gantry's oneDNN addon when it is
 * built, matmuls, reductions and otherwise the convolutions too by ONNX Runtime when onnxruntime-node loads),
 * then plain `wasm` (the WebAssembly backend with the project's training kernels). `cpu` is the pure-JS reference.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { UserError } from '../errors.js';
import type { BackendChoice } from './choices.js';
import { type Dnnl, loadDnnl } from './dnnl.js';
import { registerDnnlKernels, unregisterDnnlKernels } from './dnnl_kernels.js';
import { installSecondOrderGradients } from './gradients.js';
import { registerNativeKernels, setOrtThreads, unregisterNativeKernels } from './native_kernels.js';
import { loadOrt, type OrtRuntime } from './ort.js';
import { registerWasmTrainingKernels } from './wasm_kernels.js';

export { BACKENDS, type BackendChoice } from './choices.js';

/** Thrown when a backend the user asked for cannot be used; the CLI reports it as a user error. */
export class BackendUnavailableError extends UserError {}

async function loadTensorflow(): Promise<boolean> {
  try {
    // Optional peer: registers the 'tensorflow' backend with the shared tfjs-core when installed.
    await import('@tensorflow/tfjs-node' as string);
    return tf.findBackend('tensorflow') != null || tf.engine().registryFactory.tensorflow != null;
  } catch {
    return false;
  }
}

let fallbackNoticeShown = false;
let nativeLibraries: string[] = [];

/** The native libraries the `native` backend runs kernels on now (empty on other backends). */
export const nativeLibrariesInUse = (): readonly string[] => nativeLibraries;

/** Intra-op threads of the native libraries (default 1, or GANTRY_NATIVE_THREADS). */
export function setNativeThreads(n: number): void {
  setOrtThreads(n);
  try {
    loadDnnl().setThreads(n);
  } catch {
    // Not built: nothing to set.
  }
}

/** Activates a backend and returns the name of the one in use ('native' runs on tfjs's 'wasm' backend). */
export async function useBackend(choice: BackendChoice): Promise<string> {
  let name: string = choice;
  if (choice === 'auto') {
    name = (await loadTensorflow()) ? 'tensorflow' : 'native';
  } else if (choice === 'tensorflow' && !(await loadTensorflow())) {
    throw new BackendUnavailableError(
      '--backend tensorflow needs @tensorflow/tfjs-node 4.22.0 installed (npm install @tensorflow/tfjs-node)',
    );
  }
  let ort: OrtRuntime | null = null;
  let dnnl: Dnnl | null = null;
  if (name === 'native') {
    // GANTRY_NATIVE_LIBS (e.g. `onnxruntime` alone) narrows the libraries, for comparisons and tests.
    const wanted = (process.env.GANTRY_NATIVE_LIBS ?? 'onednn,onnxruntime').split(',').map((s) => s.trim());
    const reasons: string[] = [];
    const tryLoad = <T>(lib: string, load: () => T): T | null => {
      if (!wanted.includes(lib)) {
        reasons.push(`${lib} not in GANTRY_NATIVE_LIBS`);
        return null;
      }
      try {
        return load();
      } catch (e) {
        reasons.push((e as Error).message);
        return null;
      }
    };
    ort = tryLoad('onnxruntime', loadOrt);
    dnnl = tryLoad('onednn', loadDnnl);
    if (ort == null && dnnl == null) {
      const reason = reasons.join('; ');
      if (choice === 'native') throw new BackendUnavailableError(`--backend native is unavailable: ${reason}`);
      if (!fallbackNoticeShown) console.error(`gantry: native kernels unavailable (${reason}); using wasm`);
      fallbackNoticeShown = true;
      name = 'wasm';
    }
  }
  installSecondOrderGradients();
  unregisterDnnlKernels();
  unregisterNativeKernels();
  registerWasmTrainingKernels();
  if (ort) registerNativeKernels(ort);
  if (dnnl) registerDnnlKernels(dnnl);
  nativeLibraries = [...(dnnl ? [`oneDNN ${dnnl.version}`] : []), ...(ort ? [`ONNX Runtime ${ort.version}`] : [])];
  const tfName = name === 'native' ? 'wasm' : name;
  if (!(await tf.setBackend(tfName))) throw new BackendUnavailableError(`backend '${tfName}' failed to initialise`);
  await tf.ready();
  // The cpu backend advertises tfjs-node on first use; gantry already says which backend it uses.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  return name === 'native' ? 'native' : tf.getBackend();
}
