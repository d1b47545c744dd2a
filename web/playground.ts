/**
 * #/play/<id>[?backend=&seed=&weights=&class=&psi=]: a run's generator in the browser. A grid of the images a seed
 * gives (the same as `gantry sample --seed S --count 16`), sliders moving the picked image's z along the main
 * directions of G's first layer, a slerp animation between two seeds, class and EMA/raw pickers, PNG download;
 * for stylegan runs also truncation, style mixing and a projected w (style_panel.ts).
 * Loaded on demand: it is the only view that needs TensorFlow.js.
 */

import type { GantryRun } from '../src/browser/index.js';
import { latentNoise } from '../src/networks/generate.js';
import { getRun, isImage2Image, type RunSummary, runClasses } from './api.js';
import { drawImage, errorBox, fmt, h } from './dom.js';
import { BACKEND_CHOICES, type BackendChoice, firstLayer, loadRunGenerator, useBackend } from './generator.js';
import { hooks } from './hooks.js';
import { type LatentDirections, latentDirections, slerp } from './latent.js';
import { routes, type View } from './router.js';
import { statusBadge } from './runs.js';
import { stylePanel } from './style_panel.js';

const GRID = 16;
const DIRECTIONS = 6;

export function playgroundView(root: HTMLElement, id: string, params: URLSearchParams): View {
  let destroyed = false;
  let stop = () => {};
  root.append(h('p', { class: 'muted' }, 'Loading…'));
  getRun(id)
    .then((run) => {
      if (destroyed) return;
      if (isImage2Image(run)) {
        // Its generator maps images, not noise: the Apply view is where it runs.
        location.replace(routes.apply(run.id));
        return;
      }
      if (!run.hasCheckpoint)
        throw new Error(`${run.id} has no checkpoint yet: its generator is written at the end of the first epoch`);
      stop = playground(root, run, params);
    })
    .catch((err) => {
      if (!destroyed) root.replaceChildren(errorBox(err));
    });
  return {
    destroy() {
      destroyed = true;
      stop();
    },
  };
}

function playground(root: HTMLElement, run: RunSummary, params: URLSearchParams): () => void {
  const classes = runClasses(run);
  const askedClass = Number(params.get('class') ?? -1);
  const state = {
    backend: (BACKEND_CHOICES as readonly string[]).includes(params.get('backend') ?? '')
      ? (params.get('backend') as BackendChoice)
      : 'auto',
    weights: (params.get('weights') === 'raw' || !run.hasEma ? 'raw' : 'ema') as 'ema' | 'raw',
    seed: clampSeed(Number(params.get('seed') ?? 0)),
    /** -1: the classes in turn (image i gets class i mod K), as `gantry sample` without --class. */
    klass: Number.isInteger(askedClass) && askedClass >= 0 && askedClass < classes ? askedClass : -1,
    picked: 0,
    offsets: new Float32Array(DIRECTIONS),
    /** ψ for stylegan runs (1: untruncated). */
    truncation: Math.min(1, Math.max(0, Number(params.get('psi') ?? 1))) || 0,
  };
  let gen: GantryRun | null = null;
  let directions: LatentDirections | null = null;
  let gridImages: Uint8Array[] = [];
  let destroyed = false;
  let animation = 0;

  // Controls.
  const backendSelect = h(
    'select',
    {
      'aria-label': 'backend',
      onchange: () => {
        state.backend = backendSelect.value as BackendChoice;
        void reload();
      },
    },
    ...BACKEND_CHOICES.map((b) => h('option', { value: b, selected: b === state.backend }, b)),
  );
  const backendInUse = h('span', { class: 'muted', 'data-backend': '' });
  const weightsSelect = h(
    'select',
    {
      'aria-label': 'weights',
      disabled: !run.hasEma,
      title: run.hasEma ? "the moving average of G's weights, or the raw weights" : 'this run keeps no EMA of G',
      onchange: () => {
        state.weights = weightsSelect.value as 'ema' | 'raw';
        void reload();
      },
    },
    ...(run.hasEma ? ['ema', 'raw'] : ['raw']).map((w) =>
      h('option', { value: w, selected: w === state.weights }, w === 'ema' ? 'EMA' : 'raw'),
    ),
  );
  const classSelect = h(
    'select',
    {
      'aria-label': 'class',
      onchange: () => {
        state.klass = Number(classSelect.value);
        void drawGrid();
      },
    },
    h('option', { value: -1 }, 'in turn (i mod K)'),
    ...Array.from({ length: classes }, (_, k) => h('option', { value: k, selected: k === state.klass }, `class ${k}`)),
  );
  const seedInput = h('input', {
    type: 'number',
    min: 0,
    max: 2 ** 32 - 1,
    value: state.seed,
    'aria-label': 'seed',
    onchange: () => {
      state.seed = clampSeed(Number(seedInput.value));
      void drawGrid();
    },
  });
  const newSeed = h(
    'button',
    {
      onclick: () => {
        state.seed = Math.floor(Math.random() * 2 ** 31);
        seedInput.value = String(state.seed);
        void drawGrid();
      },
    },
    'New seed',
  );
  const status = h('span', { class: 'muted' });

  // Grid, picked image and sliders, interpolation.
  const grid = h('div', { class: 'play-grid-images' });
  const gridCaption = h('p', { class: 'muted' });
  const big = h('canvas', { class: 'big pixelated', 'data-picked': '' });
  const bigCaption = h('p', { class: 'muted' });
  const sliders = h('div', { class: 'sliders' });
  const download = h('button', { onclick: () => downloadPicked() }, 'Download PNG');
  const reset = h(
    'button',
    {
      onclick: () => {
        state.offsets.fill(0);
        for (const s of sliders.querySelectorAll('input')) s.value = '0';
        void drawPicked();
      },
    },
    'Reset sliders',
  );
  const seedA = h('input', { type: 'number', min: 0, value: state.seed, 'aria-label': 'seed A' });
  const seedB = h('input', { type: 'number', min: 0, value: state.seed + 1, 'aria-label': 'seed B' });
  const tSlider = h('input', { type: 'range', min: 0, max: 1, step: 0.01, value: 0, 'aria-label': 'interpolation t' });
  const tLabel = h('span', { class: 'muted' }, 't = 0.00');
  const play = h('button', { onclick: () => (animation ? pause() : start()) }, 'Play');
  const lerpCanvas = h('canvas', { class: 'big pixelated', 'data-lerp': '' });
  const styleSlot = h('div', { class: 'style-slot' });

  root.replaceChildren(
    h(
      'section',
      { class: 'play' },
      h(
        'div',
        { class: 'run-head' },
        h('h1', {}, `Playground · `, h('a', { href: routes.run(run.id) }, run.id), ' ', statusBadge(run)),
      ),
      h(
        'div',
        { class: 'controls' },
        h('label', {}, 'Backend ', backendSelect, ' ', backendInUse),
        h('label', {}, 'Weights ', weightsSelect),
        classes > 0 ? h('label', {}, 'Class ', classSelect) : null,
        h('label', {}, 'Seed ', seedInput),
        newSeed,
        status,
      ),
      h(
        'div',
        { class: 'play-panels' },
        h('div', { class: 'panel' }, h('h3', {}, 'Images of the seed'), gridCaption, grid),
        h(
          'div',
          { class: 'panel' },
          h('h3', {}, 'Picked image'),
          big,
          bigCaption,
          h('div', { class: 'row' }, download, reset),
          h(
            'h3',
            {
              title:
                "Eigenvectors of W·Wᵀ for the z rows of G's first dense layer: the z directions that layer responds to most.",
            },
            'Main latent directions ',
            h('span', { class: 'info' }, '?'),
          ),
          h(
            'p',
            { class: 'help' },
            "Each slider moves z along one of the top right-singular vectors of the first layer's kernel (rows of z), " +
              'strongest first; ±3 is three standard deviations of the prior.',
          ),
          sliders,
        ),
        h(
          'div',
          { class: 'panel' },
          h('h3', {}, 'Interpolation (slerp)'),
          h('div', { class: 'row' }, h('label', {}, 'Seed A ', seedA), h('label', {}, 'Seed B ', seedB), play),
          lerpCanvas,
          h('div', { class: 'row' }, tSlider, tLabel),
        ),
        styleSlot,
      ),
    ),
  );

  const setHash = () =>
    history.replaceState(
      null,
      '',
      routes.play(run.id, {
        backend: state.backend,
        weights: state.weights,
        seed: state.seed,
        ...(state.klass >= 0 ? { class: state.klass } : {}),
        ...(state.truncation !== 1 ? { psi: state.truncation } : {}),
      }),
    );

  const labelsFor = (n: number): Int32Array | null =>
    classes === 0 ? null : Int32Array.from({ length: n }, (_, i) => (state.klass >= 0 ? state.klass : i % classes));

  const pickedZ = (): Float32Array => {
    const d = gen!.latentDim;
    const z = latentNoise(state.seed, state.picked + 1, d).slice(state.picked * d);
    directions?.vectors.forEach((v, k) => {
      for (let i = 0; i < d; i++) z[i] += state.offsets[k] * v[i];
    });
    return z;
  };

  // One generation at a time; a request made meanwhile runs once after it, with the state as it is then.
  const serial = (f: () => Promise<void>) => {
    let running = false,
      again = false;
    const go = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          if (gen != null && !destroyed) await f();
        } while (again);
      } catch (err) {
        status.replaceChildren(errorBox(err));
      } finally {
        running = false;
      }
    };
    return go;
  };

  const drawGrid = serial(async () => {
    hooks.ready = false;
    setHash();
    const g = gen!;
    const seed = state.seed;
    const klass = state.klass;
    const started = performance.now();
    const images = pixelsOf(
      await g.generateLatents(latentNoise(seed, GRID, g.latentDim), labelsFor(GRID), state.truncation),
    );
    const ms = performance.now() - started;
    const [height, width, channels] = g.imageShape;
    gridImages = images;
    grid.replaceChildren(
      ...images.map((bytes, i) => {
        const c = h('canvas', {
          class: `pixelated${i === state.picked ? ' picked' : ''}`,
          'data-index': i,
          title: `image ${i}`,
        });
        drawImage(c, bytes, height, width, channels);
        c.addEventListener('click', () => {
          state.picked = i;
          state.offsets.fill(0);
          for (const s of sliders.querySelectorAll('input')) s.value = '0';
          markPicked();
          void drawPicked();
        });
        return c;
      }),
    );
    gridCaption.textContent = `gantry sample --seed ${seed} --count ${GRID}${state.klass >= 0 ? ` --class ${state.klass}` : ''}${state.truncation !== 1 ? ` --truncation ${state.truncation}` : ''} gives these (${fmt(ms, 0)} ms on ${backendInUse.dataset.backend})`;
    await drawPickedNow();
    hooks.play = {
      backend: backendInUse.dataset.backend ?? '',
      seed,
      klass,
      images: gridImages,
      directions: directions?.vectors.length ?? 0,
      weights: g.manifest.weights,
    };
    hooks.ready = true;
  });

  const markPicked = () =>
    grid.querySelectorAll('canvas').forEach((c, i) => c.classList.toggle('picked', i === state.picked));

  const drawPickedNow = async () => {
    const g = gen!;
    const labels = labelsFor(state.picked + 1);
    const offsets = Array.from(state.offsets).join();
    const [image] = pixelsOf(
      await g.generateLatents(pickedZ(), labels ? labels.subarray(state.picked) : null, state.truncation),
    );
    drawImage(big, image, ...g.imageShape);
    big.dataset.offsets = offsets;
    const moved = state.offsets.some((o) => o !== 0);
    bigCaption.textContent = `seed ${state.seed}, image ${state.picked}${labels ? `, class ${labels[state.picked]}` : ''}${moved ? ', moved along the sliders' : ''}`;
  };
  const drawPicked = serial(drawPickedNow);

  const drawLerp = serial(async () => {
    const g = gen!;
    const t = Number(tSlider.value);
    const za = latentNoise(clampSeed(Number(seedA.value)), 1, g.latentDim);
    const zb = latentNoise(clampSeed(Number(seedB.value)), 1, g.latentDim);
    const [image] = pixelsOf(await g.generateLatents(slerp(za, zb, t), labelsFor(1), state.truncation));
    drawImage(lerpCanvas, image, ...g.imageShape);
    tLabel.textContent = `t = ${t.toFixed(2)}`;
    lerpCanvas.dataset.t = t.toFixed(2);
  });
  tSlider.addEventListener('input', () => {
    pause();
    void drawLerp();
  });
  seedA.addEventListener('change', () => void drawLerp());
  seedB.addEventListener('change', () => void drawLerp());

  // The animation goes A → B → A, easing at the ends, four seconds each way.
  const start = () => {
    play.textContent = 'Pause';
    const t0 = performance.now() - (Math.acos(1 - 2 * Number(tSlider.value)) / Math.PI) * 4000;
    const frame = (now: number) => {
      const phase = ((now - t0) / 4000) % 2;
      tSlider.value = String((1 - Math.cos(Math.PI * phase)) / 2);
      void drawLerp();
      animation = requestAnimationFrame(frame);
    };
    animation = requestAnimationFrame(frame);
  };
  const pause = () => {
    cancelAnimationFrame(animation);
    animation = 0;
    play.textContent = 'Play';
  };

  const buildSliders = () => {
    sliders.replaceChildren();
    if (directions == null) {
      sliders.append(h('p', { class: 'muted' }, 'This generator has no dense first layer to take directions from.'));
      return;
    }
    directions.vectors.forEach((_, k) => {
      const value = h('span', { class: 'slider-value' }, '0.0');
      const input = h('input', {
        type: 'range',
        min: -3,
        max: 3,
        step: 0.1,
        value: state.offsets[k],
        'aria-label': `direction ${k + 1}`,
        oninput: () => {
          state.offsets[k] = Number(input.value);
          value.textContent = state.offsets[k].toFixed(1);
          void drawPicked();
        },
      });
      sliders.append(
        h('label', { class: 'slider', title: `eigenvalue ${fmt(directions!.values[k])}` }, `#${k + 1}`, input, value),
      );
    });
  };

  const downloadPicked = () => {
    const a = h('a', {
      href: big.toDataURL('image/png'),
      download: `${run.id.replaceAll('/', '_')}-seed${state.seed}-${state.picked}.png`,
    });
    a.click();
  };

  const reload = async () => {
    pause();
    status.textContent = 'loading the generator…';
    hooks.ready = false;
    try {
      const backend = await useBackend(state.backend);
      backendInUse.dataset.backend = backend;
      backendInUse.textContent = state.backend === 'auto' || backend !== state.backend ? `(using ${backend})` : '';
      gen?.dispose();
      gen = null;
      const next = await loadRunGenerator(run.id, state.weights);
      if (destroyed) return next.dispose();
      gen = next;
      const first = firstLayer(gen);
      directions = first ? latentDirections(first.kernel, first.cols, gen.latentDim, DIRECTIONS) : null;
      hooks.latent = directions && {
        values: directions.values,
        residual: directions.residual,
        orthogonality: directions.orthogonality,
      };
      state.offsets.fill(0);
      buildSliders();
      styleSlot.replaceChildren(
        gen.styleBased
          ? stylePanel(gen, state.truncation, (psi) => {
              state.truncation = psi;
              void drawGrid();
              void drawLerp();
            }).element
          : '',
      );
      status.textContent = '';
      await drawGrid();
      await drawLerp();
    } catch (err) {
      status.replaceChildren(errorBox(err));
    }
  };
  void reload();

  return () => {
    destroyed = true;
    pause();
    gen?.dispose();
  };
}

const pixelsOf = (images: { pixels: Uint8Array }[]) => images.map((i) => i.pixels);

function clampSeed(x: number): number {
  return Number.isFinite(x) ? Math.min(2 ** 32 - 1, Math.max(0, Math.floor(x))) : 0;
}
