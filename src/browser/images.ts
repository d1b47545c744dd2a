/**
 * Image files in a page, without the pixel drift a canvas adds: a canvas stores premultiplied alpha, so reading
 * a half-transparent PNG back through it rounds its colours. PNGs (the files with alpha that matter here) are
 * decoded by hand (every bit depth and colour type, not interlaced), other formats through the browser's decoder;
 * outputs are encoded as PNG by hand too, and many files are packed into one zip. All with the platform's
 * (De)CompressionStream, so this runs in any modern browser and in Node.
 */
import type { AppliedPicture, Picture } from '../image2image/apply.js';
import { crc32 } from '../util/crc32.js';

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

async function streamThrough(data: Uint8Array, stream: GenericTransformStream): Promise<Uint8Array> {
  const out = new Blob([data as BlobPart]).stream().pipeThrough(stream as unknown as ReadableWritablePair);
  return new Uint8Array(await new Response(out).arrayBuffer());
}

const inflate = (data: Uint8Array) => streamThrough(data, new DecompressionStream('deflate'));
const deflate = (data: Uint8Array) => streamThrough(data, new CompressionStream('deflate'));

/** Whether the bytes start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

/** A non-interlaced PNG decoded to RGBA bytes exactly (16-bit samples keep their high byte); null if interlaced. */
export async function decodePng(bytes: Uint8Array): Promise<Picture | null> {
  if (!isPng(bytes)) throw new Error('not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0,
    height = 0,
    depth = 0,
    type = 0,
    interlaced = false;
  let palette: Uint8Array | null = null,
    transparency: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const name = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (body.length !== length) throw new Error('a truncated PNG file');
    if (name === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      [depth, type] = [body[8], body[9]];
      interlaced = body[12] !== 0;
    } else if (name === 'PLTE') palette = body;
    else if (name === 'tRNS') transparency = body;
    else if (name === 'IDAT') idat.push(body);
    else if (name === 'IEND') break;
    at += 12 + length;
  }
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[type];
  if (width === 0 || height === 0 || channels == null || ![1, 2, 4, 8, 16].includes(depth))
    throw new Error('an unsupported or corrupt PNG header');
  if (interlaced) return null;
  const raw = await inflate(new Uint8Array(await new Blob(idat as BlobPart[]).arrayBuffer()));
  const bitsPerPixel = channels * depth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel >> 3);
  if (raw.length < height * (stride + 1)) throw new Error('a truncated PNG file');
  // Undo the per-row filters in place.
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = rows.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? rows.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[i - bpp] : 0,
        b = up ? up[i] : 0,
        c = up && i >= bpp ? up[i - bpp] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c,
          pa = Math.abs(p - a),
          pb = Math.abs(p - b),
          pc = Math.abs(p - c);
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error(`a corrupt PNG file (row filter ${filter})`);
      out[i] = (line[i] + predictor) & 0xff;
    }
  }
  /** The index-th sample of row y at the file's bit depth. */
  const rawSample = (y: number, index: number): number => {
    const row = y * stride;
    if (depth === 8) return rows[row + index];
    if (depth === 16) return (rows[row + index * 2] << 8) | rows[row + index * 2 + 1];
    const bit = index * depth;
    return (rows[row + (bit >> 3)] >> (8 - depth - (bit & 7))) & ((1 << depth) - 1);
  };
  /** The same, scaled to 8 bits (16-bit samples keep their high byte, as libvips does). */
  const sample = (y: number, index: number): number => {
    const v = rawSample(y, index);
    return depth === 16 ? v >> 8 : depth === 8 ? v : Math.round((v * 255) / ((1 << depth) - 1));
  };
  // tRNS names one gray level or RGB colour (in the file's bit depth) as fully transparent.
  const key =
    transparency != null && (type === 0 || type === 2)
      ? Array.from({ length: type === 0 ? 1 : 3 }, (_, k) => (transparency![2 * k] << 8) | transparency![2 * k + 1])
      : null;
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      if (type === 3) {
        const k = rawSample(y, x);
        if (palette == null || k * 3 + 2 >= palette.length) throw new Error('a corrupt PNG file (palette index)');
        rgba.set(palette.subarray(k * 3, k * 3 + 3), o);
        rgba[o + 3] = transparency != null && k < transparency.length ? transparency[k] : 255;
        continue;
      }
      const s = (k: number) => sample(y, x * channels + k);
      rgba.set(type === 0 || type === 4 ? [s(0), s(0), s(0)] : [s(0), s(1), s(2)], o);
      rgba[o + 3] = type === 4 ? s(1) : type === 6 ? s(3) : 255;
      if (key?.every((v, k) => v === rawSample(y, x * channels + k))) rgba[o + 3] = 0;
    }
  }
  const hasAlpha = type === 4 || type === 6 || transparency != null;
  return { width, height, rgba, hasAlpha };
}

/** What a page hands in: a File, a Blob or raw bytes. */
export type ImageSource = Blob | Uint8Array | ArrayBuffer;

/**
 * An image file decoded to RGBA bytes: PNGs exactly (see above), JPEG, WebP and interlaced PNGs through the
 * browser's decoder. Throws an Error naming `name` for a file that is not an image.
 */
export async function decodeImage(source: ImageSource, name = 'image'): Promise<Picture> {
  const bytes =
    source instanceof Uint8Array
      ? source
      : new Uint8Array(source instanceof Blob ? await source.arrayBuffer() : source);
  try {
    if (isPng(bytes)) {
      const picture = await decodePng(bytes);
      if (picture != null) return picture;
    }
    const bitmap = await createImageBitmap(new Blob([bytes as BlobPart]), {
      premultiplyAlpha: 'none',
      colorSpaceConversion: 'none',
    });
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    if (context == null) throw new Error('no 2-d canvas');
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const rgba = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    let hasAlpha = false;
    for (let i = 3; i < rgba.length && !hasAlpha; i += 4) hasAlpha = rgba[i] !== 255;
    return { width: canvas.width, height: canvas.height, rgba, hasAlpha };
  } catch (err) {
    throw new Error(`${name}: not a PNG, JPEG or WebP image (${(err as Error).message || 'undecodable'})`);
  }
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** An applied picture (gray, gray + alpha, RGB or RGBA) as PNG bytes: exactly its pixels. */
export async function encodePng(p: AppliedPicture): Promise<Uint8Array> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, p.width);
  view.setUint32(4, p.height);
  header[8] = 8;
  header[9] = { 1: 0, 2: 4, 3: 2, 4: 6 }[p.channels];
  const stride = p.width * p.channels;
  const raw = new Uint8Array(p.height * (stride + 1));
  for (let y = 0; y < p.height; y++) raw.set(p.pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const parts = [
    new Uint8Array(PNG_SIGNATURE),
    pngChunk('IHDR', header),
    pngChunk('IDAT', await deflate(raw)),
    pngChunk('IEND', new Uint8Array(0)),
  ];
  return new Uint8Array(await new Blob(parts as BlobPart[]).arrayBuffer());
}

/** Files packed into one zip archive (stored, not compressed again: PNGs are compressed already). */
export function zipFiles(files: { name: string; data: Uint8Array }[]): Blob {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const file of files) {
    const name = encoder.encode(file.name);
    const crc = crc32(file.data);
    const local = new Uint8Array(30 + name.length);
    const l = new DataView(local.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true); // version needed
    l.setUint16(6, 0x0800, true); // UTF-8 names
    l.setUint32(14, crc, true);
    l.setUint32(18, file.data.length, true);
    l.setUint32(22, file.data.length, true);
    l.setUint16(26, name.length, true);
    local.set(name, 30);
    const entry = new Uint8Array(46 + name.length);
    const e = new DataView(entry.buffer);
    e.setUint32(0, 0x02014b50, true);
    e.setUint16(4, 20, true);
    e.setUint16(6, 20, true);
    e.setUint16(8, 0x0800, true);
    e.setUint32(16, crc, true);
    e.setUint32(20, file.data.length, true);
    e.setUint32(24, file.data.length, true);
    e.setUint16(28, name.length, true);
    e.setUint32(42, offset, true);
    entry.set(name, 46);
    parts.push(local, file.data);
    central.push(entry);
    offset += local.length + file.data.length;
  }
  const size = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const d = new DataView(end.buffer);
  d.setUint32(0, 0x06054b50, true);
  d.setUint16(8, files.length, true);
  d.setUint16(10, files.length, true);
  d.setUint32(12, size, true);
  d.setUint32(16, offset, true);
  return new Blob([...parts, ...central, end] as BlobPart[], { type: 'application/zip' });
}
