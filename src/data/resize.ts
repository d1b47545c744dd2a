/**
 * A data set made smaller: every image (and every paired source image) resized to side × side with Lanczos-3, as an
 * image folder's loader resizes its files, so `--dataset emoji-twitter --resolution 32` sees what a folder of the
 * same PNGs at `--resolution 32` sees. Labels, class names and keys are kept.
 */
import sharp from 'sharp';
import type { ImageDataset } from './dataset.js';

async function resizeAll(pixels: Uint8Array, d: ImageDataset, channels: number, side: number): Promise<Uint8Array> {
  const from = d.height * d.width * channels;
  const to = side * side * channels;
  const out = new Uint8Array(d.count * to);
  for (let i = 0; i < d.count; i++) {
    const image = pixels.subarray(i * from, (i + 1) * from);
    const small = await sharp(image, { raw: { width: d.width, height: d.height, channels: channels as 1 | 3 } })
      .resize(side, side, { kernel: 'lanczos3', fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer();
    // sharp hands a one-channel raw image back as one channel (no colourspace change is asked for).
    if (small.length !== to) throw new Error(`resizing image ${i} gave ${small.length} bytes, expected ${to}`);
    out.set(small, i * to);
  }
  return out;
}

export async function downscaleDataset(d: ImageDataset, side: number): Promise<ImageDataset> {
  if (side > d.height || side > d.width) throw new Error(`downscaleDataset: ${side} exceeds ${d.height}×${d.width}`);
  if (side === d.height && side === d.width) return d;
  const images = await resizeAll(d.images, d, d.channels, side);
  const sources =
    d.sources != null && d.sourceChannels != null ? await resizeAll(d.sources, d, d.sourceChannels, side) : undefined;
  return { ...d, images, height: side, width: side, ...(sources ? { sources } : {}) };
}
