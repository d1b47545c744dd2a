/**
 * The `--backend` choices, importable without loading the wasm backend or the native libraries (src/config.ts is
 * Node-free and names them); src/backend/index.ts re-exports them next to `useBackend`.
 */
export const BACKENDS = ['auto', 'native', 'wasm', 'cpu', 'tensorflow'] as const;
export type BackendChoice = (typeof BACKENDS)[number];
