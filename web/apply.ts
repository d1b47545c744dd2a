/**
 * #/apply/<id>[?backend=&weights=]: an image-to-image run applied in the page, with the code `gantry/web` runs in
 * any page (so the pixels are the CLI's). Drop or pick images or a folder; each shows input, baseline and output
 * side by side with a PNG download, and all download as one zip. Inpainting: paint the mask with a brush on the
 * input (or load a mask file); the output follows each stroke, and the mask downloads too (for the CLI's --mask).
 */
import type { AppliedPicture, GantryRun, Picture } from '../src/browser/index.js';
import { decodeImage, encodePng, zipFiles } from '../src/browser/index.js';
import { getRun, isImage2Image, type RunSummary } from './api.js';
import { drawImage, errorBox, h } from './dom.js';
import { BACKEND_CHOICES, type BackendChoice, loadRunGenerator, useBackend } from './generator.js';
import { hooks } from './hooks.js';
import { routes, type View } from './router.js';

const WHAT: Record<string, string> = {
  superres: 'upscales each picture by the run’s factor',
  colorize: 'colours each picture (made gray first)',
  inpaint: 'fills the pixels you paint (white in the mask); the others stay as they are',
  translate: 'translates each picture to the run’s target style',
};

/** One picture in the view. */
interface Item {
  name: string;
  picture: Picture;
  /** Inpainting: the mask being painted (RGBA, white = missing), the picture's size. */
  mask: Picture | null;
  output: AppliedPicture | null;
  row: HTMLElement;
}

export function applyView(root: HTMLElement, id: string, params: URLSearchParams): View {
  let destroyed = false;
  let stop = () => {};
  root.append(h('p', { class: 'muted' }, 'Loading…'));
  getRun(id)
    .then((run) => {
      if (destroyed) return;
      if (!isImage2Image(run)) {
        root.replaceChildren(
          h(
            'p',
            {},
            `${run.id} generates from latent noise: try it in the `,
            h('a', { href: routes.play(run.id) }, 'playground'),
            '.',
          ),
        );
        hooks.ready = true;
        return;
      }
      if (!run.hasCheckpoint)
        throw new Error(`${run.id} has no checkpoint yet: its generator is written after the first epoch`);
      stop = applyPage(root, run, params);
    })
    .catch((err) => {
      if (!destroyed) root.replaceChildren(errorBox(err));
      hooks.ready = true;
    });
  return {
    destroy() {
      destroyed = true;
      stop();
    },
  };
}

/** A picture's bytes (1–4 channels a pixel) drawn into a canvas of its size. */
const draw = (canvas: HTMLCanvasElement, p: { width: number; height: number; channels: number; pixels: Uint8Array }) =>
  drawImage(canvas, p.pixels, p.height, p.width, p.channels);
const rgbaOf = (p: Picture) => ({ width: p.width, height: p.height, channels: 4, pixels: p.rgba });
const pngName = (name: string) => name.replace(/\.[^./]+$/, '') + '.png';

function downloadLink(label: string, name: string, bytes: Uint8Array): HTMLAnchorElement {
  const a = h('a', { download: name, class: 'download' }, label);
  a.href = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'image/png' }));
  return a;
}

function applyPage(root: HTMLElement, run: RunSummary, params: URLSearchParams): () => void {
  const task = run.task!;
  const state = {
    backend: (BACKEND_CHOICES as readonly string[]).includes(params.get('backend') ?? '')
      ? (params.get('backend') as BackendChoice)
      : 'auto',
    weights: (params.get('weights') === 'raw' || !run.hasEma ? 'raw' : 'ema') as 'ema' | 'raw',
    brush: 6,
  };
  let gen: GantryRun | null = null;
  const items: Item[] = [];
  const status = h('span', { class: 'muted' });
  const rows = h('div', { class: 'apply-rows' });
  const messages = h('div', { 'aria-live': 'polite' });

  const publish = () => {
    hooks.apply = {
      backend: status.dataset.backend ?? '',
      items: items.map((it) => ({ name: it.name, output: it.output })),
      errors: [...messages.querySelectorAll('.error')].map((e) => e.textContent ?? ''),
    };
  };
  const fail = (err: unknown) => {
    messages.append(errorBox(err));
    publish();
  };

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
  const files = h('input', {
    type: 'file',
    multiple: true,
    accept: 'image/png,image/jpeg,image/webp',
    'aria-label': 'images',
  });
  const folder = h('input', { type: 'file', multiple: true, 'aria-label': 'folder' });
  folder.setAttribute('webkitdirectory', '');
  const brush = h('input', {
    type: 'range',
    min: 1,
    max: 32,
    value: state.brush,
    'aria-label': 'brush size',
    oninput: () => {
      state.brush = Number(brush.value);
    },
  });
  const zip = h('button', { disabled: true, onclick: () => downloadAll() }, 'Download all (zip)');
  const drop = h(
    'div',
    { class: 'drop', tabindex: 0 },
    'Drop images or a folder here, or pick: ',
    files,
    ' folder: ',
    folder,
  );

  /** Applies the run to one item and redraws its output; the item's row shows what went wrong otherwise. */
  const applyItem = async (item: Item) => {
    if (gen == null) return;
    const outputCanvas = item.row.querySelector<HTMLCanvasElement>('canvas[data-output]')!;
    const baselineCanvas = item.row.querySelector<HTMLCanvasElement>('canvas[data-baseline]')!;
    const links = item.row.querySelector<HTMLElement>('[data-links]')!;
    links.replaceChildren();
    item.output = null;
    if (task === 'inpaint' && item.mask == null) {
      links.append(h('span', { class: 'muted' }, 'paint the holes to fill'));
      publish();
      return;
    }
    try {
      const mask = item.mask ?? undefined;
      const output = gen.apply(item.picture, { mask, name: item.name });
      draw(baselineCanvas, gen.baseline(item.picture, { mask, name: item.name }));
      draw(outputCanvas, output);
      item.output = output;
      links.append(downloadLink('Download', pngName(item.name), await encodePng(output)));
      if (item.mask != null)
        links.append(
          ' ',
          downloadLink(
            'mask',
            `${pngName(item.name).replace(/\.png$/, '')}-mask.png`,
            await encodePng(rgbaOf(item.mask) as AppliedPicture),
          ),
        );
      links.append(h('span', { class: 'muted' }, ` ${output.width}×${output.height}`));
    } catch (err) {
      links.append(errorBox(err));
    }
    zip.disabled = !items.some((it) => it.output != null);
    publish();
  };

  /** The input canvas with the mask painted over it in translucent red. */
  const drawInput = (item: Item, canvas: HTMLCanvasElement) => {
    draw(canvas, rgbaOf(item.picture));
    if (item.mask == null) return;
    const ctx = canvas.getContext('2d')!;
    const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
    for (let i = 0; i < item.picture.width * item.picture.height; i++) {
      if (item.mask.rgba[i * 4] < 128) continue;
      image.data[i * 4] = 255;
      image.data[i * 4 + 1] = Math.round(image.data[i * 4 + 1] * 0.4);
      image.data[i * 4 + 2] = Math.round(image.data[i * 4 + 2] * 0.4);
      image.data[i * 4 + 3] = 255;
    }
    ctx.putImageData(image, 0, 0);
  };

  /** Pointer strokes on the input paint white discs into the mask; the output is redone when a stroke ends. */
  const paintable = (item: Item, canvas: HTMLCanvasElement) => {
    let painting = false;
    const paint = (e: PointerEvent) => {
      const rect = canvas.getBoundingClientRect();
      const x = ((e.clientX - rect.left) / rect.width) * item.picture.width;
      const y = ((e.clientY - rect.top) / rect.height) * item.picture.height;
      const { width, height } = item.picture;
      item.mask ??= {
        width,
        height,
        rgba: new Uint8Array(width * height * 4).map((_, i) => (i % 4 === 3 ? 255 : 0)),
        hasAlpha: false,
      };
      const r = state.brush;
      for (let py = Math.max(0, Math.floor(y - r)); py <= Math.min(height - 1, Math.ceil(y + r)); py++) {
        for (let px = Math.max(0, Math.floor(x - r)); px <= Math.min(width - 1, Math.ceil(x + r)); px++) {
          if ((px + 0.5 - x) ** 2 + (py + 0.5 - y) ** 2 > r * r) continue;
          item.mask.rgba.fill(255, (py * width + px) * 4, (py * width + px) * 4 + 3);
        }
      }
      drawInput(item, canvas);
    };
    canvas.addEventListener('pointerdown', (e) => {
      painting = true;
      canvas.setPointerCapture?.(e.pointerId);
      paint(e);
    });
    canvas.addEventListener('pointermove', (e) => painting && paint(e));
    const end = () => {
      if (!painting) return;
      painting = false;
      void applyItem(item);
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointerleave', end);
  };

  const addFiles = async (list: File[]) => {
    messages.replaceChildren();
    hooks.ready = false;
    for (const file of list) {
      const name = file.webkitRelativePath || file.name;
      let picture: Picture;
      try {
        picture = await decodeImage(file, name);
      } catch (err) {
        fail(err);
        continue;
      }
      const inputCanvas = h('canvas', {
        'data-input': '',
        title: task === 'inpaint' ? 'paint the holes to fill' : name,
      });
      const row = h(
        'div',
        { class: 'apply-row', 'data-name': name },
        h('figure', {}, inputCanvas, h('figcaption', {}, `${name} · ${picture.width}×${picture.height}`)),
        h('figure', {}, h('canvas', { 'data-baseline': '' }), h('figcaption', {}, 'baseline')),
        h('figure', {}, h('canvas', { 'data-output': '' }), h('figcaption', {}, 'gantry')),
        h('div', { 'data-links': '' }),
      );
      const item: Item = { name, picture, mask: null, output: null, row };
      drawInput(item, inputCanvas);
      if (task === 'inpaint') {
        paintable(item, inputCanvas);
        const maskFile = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/webp', 'aria-label': 'mask' });
        maskFile.addEventListener('change', async () => {
          const f = maskFile.files?.[0];
          if (f == null) return;
          try {
            const mask = await decodeImage(f, f.name);
            if (mask.width !== picture.width || mask.height !== picture.height)
              throw new Error(
                `${f.name}: the mask is ${mask.width}×${mask.height} but ${name} is ${picture.width}×${picture.height}`,
              );
            item.mask = mask;
            drawInput(item, inputCanvas);
            await applyItem(item);
          } catch (err) {
            fail(err);
          }
        });
        const clear = h(
          'button',
          {
            onclick: () => {
              item.mask = null;
              drawInput(item, inputCanvas);
              void applyItem(item);
            },
          },
          'Clear mask',
        );
        row.append(h('div', {}, 'mask file: ', maskFile, ' ', clear));
      }
      items.push(item);
      rows.append(row);
      await applyItem(item);
    }
    publish();
    hooks.ready = true;
  };

  const downloadAll = async () => {
    const done = items.filter((it) => it.output != null);
    const blob = zipFiles(
      await Promise.all(done.map(async (it) => ({ name: pngName(it.name), data: await encodePng(it.output!) }))),
    );
    const a = h('a', { download: `${run.id.replace(/\W+/g, '-')}-${task}.zip` });
    a.href = URL.createObjectURL(blob);
    a.click();
  };

  files.addEventListener('change', () => void addFiles([...(files.files ?? [])]));
  folder.addEventListener(
    'change',
    () => void addFiles([...(folder.files ?? [])].filter((f) => /\.(png|jpe?g|webp)$/i.test(f.name))),
  );
  drop.addEventListener('dragover', (e) => e.preventDefault());
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    void addFiles([...(e.dataTransfer?.files ?? [])]);
  });

  const reload = async () => {
    status.textContent = 'loading the generator…';
    hooks.ready = false;
    try {
      const backend = await useBackend(state.backend);
      status.dataset.backend = backend;
      gen?.dispose();
      gen = await loadRunGenerator(run.id, state.weights);
      status.textContent = `on ${backend}`;
      for (const item of items) await applyItem(item);
    } catch (err) {
      fail(err);
    }
    publish();
    hooks.ready = true;
  };

  root.replaceChildren(
    h(
      'section',
      { class: 'apply' },
      h('h1', {}, `Apply · ${run.id}`),
      h(
        'p',
        {},
        `A --task ${task} run: it ${WHAT[task] ?? 'maps each picture'}. The same pixels as `,
        h('code', {}, `gantry ${task === 'superres' ? 'upscale' : task} IN OUT --run …`),
        '.',
      ),
      h(
        'div',
        { class: 'controls' },
        'backend ',
        backendSelect,
        ' ',
        status,
        task === 'inpaint' ? h('span', {}, ' brush ', brush) : null,
        ' ',
        zip,
      ),
      drop,
      messages,
      rows,
    ),
  );
  void reload();
  return () => {
    gen?.dispose();
    gen = null;
  };
}
