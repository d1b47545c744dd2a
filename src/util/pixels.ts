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

/**
 * n images of h×w×c bytes, each enlarged k times by nearest neighbour (every pixel becomes a k×k block): small
 * pictures (a 32-px run's) stay sharp-edged for people to judge, where a viewer's smoothing would blur them.
 */
export function enlarge(images: Uint8Array, n: number, h: number, w: number, c: number, k: number): Uint8Array {
  if (k === 1) return images;
  const W = w * k;
  const out = new Uint8Array(n * h * k * W * c);
  for (let i = 0; i < n; i++)
    for (let y = 0; y < h; y++) {
      const row = new Uint8Array(W * c);
      for (let x = 0; x < w; x++) {
        const src = ((i * h + y) * w + x) * c;
        for (let r = 0; r < k; r++) row.set(images.subarray(src, src + c), (x * k + r) * c);
      }
      for (let r = 0; r < k; r++) out.set(row, ((i * h + y) * k + r) * W * c);
    }
  return out;
}
