/** Images as bytes, and grids of them: Node-free, so the studio's browser code shares them with the CLI. */

/** Floats in [−1, 1] to bytes 0–255 (rounded, clamped). */
export function toBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.max(0, Math.min(255, Math.round((values[i] + 1) * 127.5)));
  return out;
}

/**
 * Tiles n images (each h·w·c bytes) into a grid `columns` wide with a `gap`-pixel dark border, as one
 * image; returns its pixels and size.
 */
export function tileImages(
  images: Uint8Array,
  n: number,
  h: number,
  w: number,
  c: number,
  columns: number,
  gap = 2,
): { pixels: Uint8Array; width: number; height: number } {
  const rows = Math.ceil(n / columns);
  const width = columns * (w + gap) + gap;
  const height = rows * (h + gap) + gap;
  const pixels = new Uint8Array(width * height * c);
  for (let i = 0; i < n; i++) {
    const x0 = gap + (i % columns) * (w + gap);
    const y0 = gap + Math.floor(i / columns) * (h + gap);
    for (let y = 0; y < h; y++) {
      const src = (i * h * w + y * w) * c;
      pixels.set(images.subarray(src, src + w * c), ((y0 + y) * width + x0) * c);
    }
  }
  return { pixels, width, height };
}
