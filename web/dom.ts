/** A tiny element builder and the formatting the views share. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | null | undefined>;

/** `h('a', { href: '#/runs', class: 'x', onclick: f }, 'text', child)`; `on*` keys add listeners, `data-*` set data. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = String(value);
    else if (key in el && !key.startsWith('data-') && key !== 'list')
      (el as unknown as Record<string, unknown>)[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children)
    if (child != null && child !== false) el.append(child instanceof Node ? child : String(child));
  return el;
}

export function fmt(x: number | null | undefined, digits = 3): string {
  if (x == null || !Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(2);
  return x.toFixed(a >= 100 ? 1 : digits);
}

export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** How long ago a time (ms since the epoch) was, roughly. */
export function ago(time: number | null | undefined): string {
  if (time == null || !Number.isFinite(time) || time <= 0) return '—';
  const ms = Date.now() - time;
  return ms < 60_000 ? 'just now' : `${duration(ms).replace(/ \d+ s$/, '')} ago`;
}

/** Writes bytes of one H×W×C image (C = 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA) into a canvas of that size. */
export function drawImage(
  canvas: HTMLCanvasElement,
  bytes: Uint8Array,
  height: number,
  width: number,
  channels: number,
): void {
  canvas.width = width;
  canvas.height = height;
  const image = new ImageData(width, height);
  const gray = channels <= 2,
    alpha = channels === 2 || channels === 4;
  for (let p = 0; p < width * height; p++) {
    for (let k = 0; k < 3; k++) image.data[p * 4 + k] = bytes[p * channels + (gray ? 0 : k)];
    image.data[p * 4 + 3] = alpha ? bytes[p * channels + channels - 1] : 255;
  }
  canvas.getContext('2d')!.putImageData(image, 0, 0);
}

/** A message in place of a view that could not load. */
export function errorBox(err: unknown): HTMLElement {
  return h('div', { class: 'error' }, err instanceof Error ? err.message : String(err));
}
