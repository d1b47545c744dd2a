/**
 * Backend selection. `auto` prefers tfjs-node's native TensorFlow when the user has it installed, then `native`
 * (the WebAssembly backend with its heavy kernels run by ONNX Runtime, when onnxruntime-node loads), then plain
 * `wasm` (the WebAssembly backend with the project's training kernels). `cpu` is the pure-JS reference (slow).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerNativeKernels, unregisterNativeKernels } from './native_kernels.js';
import { loadOrt } from './ort.js';
import { registerWasmTrainingKernels } from './wasm_kernels.js';

export const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

/** Thrown when a backend the user asked for cannot be used; the CLI reports it as a user error. */
export class BackendUnavailableError extends Error {}

async function loadTensorflow(): Promise<boolean> {
  try {
    // Optional peer: registers the 'tensorflow' backend with the shared tfjs-core when installed.
    await import('@tensorflow/tfjs-node' as string);
    return tf.findBackend('tensorflow') != null || tf.engine().registryFactory['tensorflow'] != null;
  } catch {
    return false;
  }
}

let fallbackNoticeShown = false;

/** Activates a backend and returns the name of the one in use ('native' runs on tfjs's 'wasm' backend). */
export async function useBackend(choice: BackendChoice): Promise<string> {
  let name: string = choice;
  if (choice === 'auto') {
    name = (await loadTensorflow()) ? 'tensorflow' : 'native';
  } else if (choice === 'tensorflow' && !(await loadTensorflow())) {
    throw new BackendUnavailableError('--backend tensorflow needs @tensorflow/tfjs-node 4.22.0 installed (npm install @tensorflow/tfjs-node)');
  }
  let ort = null;
  if (name === 'native') {
    try {
      ort = loadOrt();
    } catch (e) {
      const reason = (e as Error).message;
      if (choice === 'native') throw new BackendUnavailableError(`--backend native is unavailable: ${reason}`);
      if (!fallbackNoticeShown) console.error(`gantry: native kernels unavailable (${reason}); using wasm`);
      fallbackNoticeShown = true;
      name = 'wasm';
    }
  }
  unregisterNativeKernels();
  registerWasmTrainingKernels();
  if (ort) registerNativeKernels(ort);
  const tfName = name === 'native' ? 'wasm' : name;
  if (!(await tf.setBackend(tfName))) throw new BackendUnavailableError(`backend '${tfName}' failed to initialise`);
  await tf.ready();
  // The cpu backend advertises tfjs-node on first use; gantry already says which backend it uses.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  return name === 'native' ? 'native' : tf.getBackend();
}
