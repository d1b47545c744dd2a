/**
 * What the page exposes as `window.__studio` for the end-to-end tests (test/studio_browser.test.ts) and for
 * poking at from the console: the current view, each chart's point count, and the playground's state.
 */
export interface StudioHooks {
  /** The route of the view on screen, e.g. `run` or `play`; `ready` once it has drawn its data. */
  view: string;
  ready: boolean;
  /** The data of each chart on screen, by name (`loss`, `metric`, `loss-a`, …): x values and one array per series. */
  charts: Record<string, { x: number[]; y: (number | null)[][] }>;
  /** Playground: the tfjs backend in use, the seed and the bytes of the grid's images (H·W·C each). */
  play: {
    backend: string;
    seed: number;
    klass: number;
    images: Uint8Array[];
    directions: number;
    weights: string;
  } | null;
  /** Playground: the eigen-decomposition behind the latent sliders, for checking it. */
  latent: { values: number[]; residual: number; orthogonality: number } | null;
  /** Playground, stylegan runs: ψ, the mixing figure's images (reading order, the first blank), a w file's image. */
  style: { truncation: number; mix: Uint8Array[]; w: Uint8Array | null } | null;
  /** Apply view: the backend in use, each picture's output (null until made) and the messages shown. */
  apply: {
    backend: string;
    items: { name: string; output: { width: number; height: number; channels: number; pixels: Uint8Array } | null }[];
    errors: string[];
  } | null;
}

export const hooks: StudioHooks = {
  view: '',
  ready: false,
  charts: {},
  play: null,
  latent: null,
  apply: null,
  style: null,
};
(globalThis as unknown as { __studio: StudioHooks }).__studio = hooks;

export function resetHooks(view: string): void {
  hooks.view = view;
  hooks.ready = false;
  hooks.charts = {};
  hooks.play = null;
  hooks.latent = null;
  hooks.apply = null;
  hooks.style = null;
}
