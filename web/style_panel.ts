/**
 * The playground's controls for stylegan runs: a truncation slider (ψ, for every image the playground draws), the
 * style-mixing figure of `gantry mix`, and the image of a w from `gantry project` (its w.json), all run in the page
 * with the same code as the CLI.
 */
import type { GantryRun } from '../src/browser/index.js';
import { LAYER_GROUPS, parseSeeds } from '../src/networks/style.js';
import { tileImages } from '../src/util/pixels.js';
import { drawImage, errorBox, h } from './dom.js';
import { hooks } from './hooks.js';

export interface StylePanel {
  element: HTMLElement;
  /** ψ as the slider has it. */
  truncation(): number;
}

export function stylePanel(gen: GantryRun, psi: number, onTruncation: (psi: number) => void): StylePanel {
  const [height, width, channels] = gen.imageShape;
  const psiValue = h('span', { class: 'slider-value' }, psi.toFixed(2));
  const psiSlider = h('input', {
    type: 'range',
    min: 0,
    max: 1,
    step: 0.05,
    value: psi,
    'aria-label': 'truncation',
    oninput: () => {
      psiValue.textContent = Number(psiSlider.value).toFixed(2);
      onTruncation(Number(psiSlider.value));
      void mix();
    },
  });
  const rows = h('input', { type: 'text', value: '1-3', size: 8, 'aria-label': 'row seeds' });
  const cols = h('input', { type: 'text', value: '4-7', size: 8, 'aria-label': 'column seeds' });
  const layers = h(
    'select',
    { 'aria-label': 'layers', onchange: () => void mix() },
    ...Object.keys(LAYER_GROUPS).map((g) => h('option', { value: g }, g)),
  );
  const mixCanvas = h('canvas', { class: 'big pixelated', 'data-mix': '' });
  const mixCaption = h('p', { class: 'muted' });
  const wInput = h('input', { type: 'file', accept: '.json,application/json', 'aria-label': 'w file' });
  const wCanvas = h('canvas', { class: 'big pixelated', 'data-w': '' });
  const wCaption = h('p', { class: 'muted' });
  const truncation = () => Number(psiSlider.value);

  const mix = async () => {
    try {
      const [r, c] = [parseSeeds('row seeds', rows.value), parseSeeds('column seeds', cols.value)];
      if (r.length * c.length > 64) throw new Error('at most 64 mixed images (rows × columns)');
      const images = await gen.mix(r, c, layers.value, truncation());
      const bytes = new Uint8Array(images.length * height * width * channels);
      images.forEach((im, i) => bytes.set(im.pixels, i * im.pixels.length));
      const grid = tileImages(bytes, images.length, height, width, channels, c.length + 1);
      drawImage(mixCanvas, grid.pixels, grid.height, grid.width, channels);
      mixCaption.textContent = `gantry mix --rows ${rows.value} --cols ${cols.value} --layers ${layers.value} --truncation ${truncation()}`;
      hooks.style = { truncation: truncation(), mix: images.map((im) => im.pixels), w: hooks.style?.w ?? null };
    } catch (err) {
      mixCaption.replaceChildren(errorBox(err));
    }
  };
  rows.addEventListener('change', () => void mix());
  cols.addEventListener('change', () => void mix());

  wInput.addEventListener('change', async () => {
    const file = wInput.files?.[0];
    if (file == null) return;
    try {
      const image = await gen.fromW(JSON.parse(await file.text()));
      drawImage(wCanvas, image.pixels, height, width, channels);
      wCaption.textContent = `gantry sample --w ${file.name} gives this`;
      hooks.style = { truncation: truncation(), mix: hooks.style?.mix ?? [], w: image.pixels };
    } catch (err) {
      wCaption.replaceChildren(errorBox(err));
    }
  });

  const element = h(
    'div',
    { class: 'panel', 'data-style': '' },
    h('h3', {}, 'Style controls'),
    h('label', { class: 'slider', title: 'ψ: 1 untruncated, 0 the mean w' }, 'Truncation ψ ', psiSlider, psiValue),
    h(
      'p',
      { class: 'help' },
      'Pulls every w toward the mean w the run tracked: below 1, safer and less varied images.',
    ),
    h('h3', {}, 'Style mixing'),
    h(
      'div',
      { class: 'row' },
      h('label', {}, 'Rows ', rows),
      h('label', {}, 'Columns ', cols),
      h('label', {}, 'Layers from the column ', layers),
    ),
    mixCanvas,
    mixCaption,
    h('h3', {}, 'A projected image'),
    h('p', { class: 'help' }, 'Open the w.json that gantry project wrote to start from that image.'),
    wInput,
    wCanvas,
    wCaption,
  );
  void mix();
  return { element, truncation };
}
