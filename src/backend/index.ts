/**
 * Backend selection: `auto` prefers tfjs-node's native TensorFlow when the user has it installed, else the
 * WebAssembly backend with the project's training kernels. `cpu` is the pure-JS reference backend (slow).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from './wasm_kernels.js';

export const BACKENDS = ['auto', 'wasm', 'cpu', 'tensorflow'] as const;
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

/** Activates a backend and returns the name of the one in use. */
export async function useBackend(choice: BackendChoice): Promise<string> {
  let name: string = choice;
  if (choice === 'auto') name = (await loadTensorflow()) ? 'tensorflow' : 'wasm';
  else if (choice === 'tensorflow' && !(await loadTensorflow())) {
    throw new BackendUnavailableError('--backend tensorflow needs @tensorflow/tfjs-node 4.22.0 installed (npm install @tensorflow/tfjs-node)');
  }
  if (name === 'wasm') registerWasmTrainingKernels();
  if (!(await tf.setBackend(name))) throw new BackendUnavailableError(`backend '${name}' failed to initialise`);
  await tf.ready();
  // The cpu backend advertises tfjs-node on first use; gantry already says which backend it uses.
  if (name === 'cpu') (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  return tf.getBackend();
}
