/**
 * The gantry/web example: any exported run in a plain page. A GAN from noise shows a grid of the images
 * `gantry sample --seed S --count N` writes; an image-to-image run takes pictures (and masks, for inpainting) and
 * shows input, baseline and output, each output downloadable. Query: ?run=URL&seed=&count=&class=&backend=.
 * `npm run build` bundles it into dist/examples/; serve that folder with any static server.
 */
import * as wasm from '@tensorflow/tfjs-backend-wasm';
import {
  type AppliedPicture,
  type BackendChoice,
  decodeImage,
  encodePng,
  type GantryRun,
  type GeneratedImage,
  loadRun,
  useBackend,
} from 'gantry/web';

wasm.setWasmPaths(new URL('./tfjs-wasm/', location.href).href);

/** What the page exposes for tests and the curious: window.__example. */
interface ExampleHooks {
  ready: boolean;
  error: string | null;
  backend: string;
  task: string;
  images: GeneratedImage[];
  outputs: { name: string; output: AppliedPicture }[];
}
const hooks: ExampleHooks = { ready: false, error: null, backend: '', task: '', images: [], outputs: [] };
(window as unknown as { __example: ExampleHooks }).__example = hooks;

const app = document.getElementById('app')!;
const params = new URLSearchParams(location.search);

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', attrs: Record<string, string> = {}) {
  const e = document.createElement(tag);
  e.textContent = text;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function showError(err: unknown, where: HTMLElement = app): void {
  const message = err instanceof Error ? err.message : String(err);
  hooks.error = message;
  where.append(element('p', message, { class: 'error', role: 'alert' }));
  hooks.ready = true;
}

/** Bytes (1–4 channels a pixel) drawn on a new canvas. */
function canvasOf(image: { width: number; height: number; channels: number; pixels: Uint8Array }, large = false) {
  const canvas = element('canvas', '', large ? { class: 'large' } : {});
  canvas.width = image.width;
  canvas.height = image.height;
  const data = new ImageData(image.width, image.height);
  const c = image.channels;
  for (let i = 0; i < image.width * image.height; i++) {
    const gray = c <= 2;
    for (let k = 0; k < 3; k++) data.data[i * 4 + k] = image.pixels[i * c + (gray ? 0 : k)];
    data.data[i * 4 + 3] = c === 2 || c === 4 ? image.pixels[i * c + c - 1] : 255;
  }
  canvas.getContext('2d')!.putImageData(data, 0, 0);
  return canvas;
}

async function showGenerator(run: GantryRun): Promise<void> {
  const seed = Number(params.get('seed') ?? 0);
  const count = Number(params.get('count') ?? 16);
  const klass = params.get('class');
  const images = await run.generate({ seed, count, class: klass == null ? undefined : Number(klass) });
  const grid = element('div', '', { class: 'row', 'data-grid': '' });
  grid.append(...images.map((image) => canvasOf(image)));
  app.replaceChildren(
    element(
      'p',
      `${run.config.architecture} · ${images[0].width}×${images[0].height} · seed ${seed}: the images of gantry sample --seed ${seed} --count ${count}`,
    ),
    grid,
  );
  hooks.images = images;
}

function showApply(run: GantryRun): void {
  const task = run.task;
  const files = element('input', '', {
    type: 'file',
    accept: 'image/png,image/jpeg,image/webp',
    multiple: '',
    'aria-label': 'images',
  });
  const masks = element('input', '', {
    type: 'file',
    accept: 'image/png,image/jpeg,image/webp',
    multiple: '',
    'aria-label': 'masks',
  });
  const results = element('div');
  const go = async () => {
    hooks.ready = false;
    hooks.error = null;
    hooks.outputs = [];
    results.replaceChildren();
    try {
      const maskFiles = [...(masks.files ?? [])];
      for (const [i, file] of [...(files.files ?? [])].entries()) {
        const picture = await decodeImage(file, file.name);
        const maskFile =
          task === 'inpaint'
            ? (maskFiles.find((m) => m.name === file.name) ?? maskFiles[i] ?? maskFiles[0])
            : undefined;
        if (task === 'inpaint' && maskFile == null) throw new Error(`${file.name}: inpainting needs a mask (pick one)`);
        const mask = maskFile == null ? undefined : await decodeImage(maskFile, maskFile.name);
        const output = run.apply(picture, { mask, name: file.name });
        const baseline = run.baseline(picture, { mask, name: file.name });
        const png = await encodePng(output);
        const link = element('a', `download ${file.name}`, { download: file.name.replace(/\.\w+$/, '.png') });
        link.href = URL.createObjectURL(new Blob([png as BlobPart], { type: 'image/png' }));
        const figure = (label: string, canvas: HTMLCanvasElement) => {
          const f = element('figure');
          f.append(canvas, element('figcaption', label));
          return f;
        };
        const row = element('div', '', { class: 'row' });
        row.append(
          figure('input', canvasOf({ ...picture, channels: 4, pixels: picture.rgba }, true)),
          figure('baseline', canvasOf(baseline, true)),
          figure(`gantry (${output.width}×${output.height})`, canvasOf(output, true)),
          link,
        );
        results.append(row);
        hooks.outputs.push({ name: file.name, output });
      }
      hooks.ready = true;
    } catch (err) {
      showError(err, results);
    }
  };
  files.addEventListener('change', () => void go());
  masks.addEventListener('change', () => (files.files?.length ? void go() : undefined));
  const controls = element(
    'p',
    `A --task ${task} run: pick images${task === 'inpaint' ? ' and their masks (white = missing; matched by file name)' : ''}. `,
  );
  controls.append(files);
  if (task === 'inpaint') controls.append(' masks: ', masks);
  app.replaceChildren(controls, results);
  hooks.ready = true;
}

async function main(): Promise<void> {
  try {
    hooks.backend = await useBackend((params.get('backend') ?? 'auto') as BackendChoice);
    const run = await loadRun(params.get('run') ?? 'run/');
    hooks.task = run.task;
    if (run.task === 'none') await showGenerator(run);
    else showApply(run);
    hooks.ready = true;
  } catch (err) {
    app.replaceChildren();
    showError(err);
  }
}

void main();
