/**
 * IDX files, the MNIST format (big-endian): 0x00 0x00, a type byte (0x08 = unsigned byte), a dimension count,
 * one u32 per dimension, then the data. Read raw or gzip-compressed; every defect is a DataError naming the file.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { DataError } from './errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** The file's bytes, gunzipped when they start with the gzip magic. */
export function readMaybeGzip(path: string): Uint8Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataError(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      return gunzipSync(bytes);
    } catch (err) {
      throw new DataError(`${path}: gzip data is corrupt or truncated (${(err as Error).message})`);
    }
  }
  return bytes;
}

/** Parses an unsigned-byte IDX array with `expectedDims` dimensions. */
export function parseIdx(bytes: Uint8Array, path: string, expectedDims: number): IdxArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError(`${path}: not an IDX file (bad magic number)`);
  }
  if (bytes[2] !== 0x08)
    throw new DataError(`${path}: IDX data type 0x${bytes[2].toString(16)} is not unsigned bytes (0x08)`);
  const ndim = bytes[3];
  if (ndim !== expectedDims) throw new DataError(`${path}: has ${ndim} dimensions, expected ${expectedDims}`);
  const headerLength = 4 + 4 * ndim;
  if (bytes.length < headerLength) throw new DataError(`${path}: truncated header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const size = dims.reduce((a, b) => a * b, 1);
  const available = bytes.length - headerLength;
  if (available < size)
    throw new DataError(`${path}: truncated: [${dims.join('×')}] needs ${size} bytes of data, found ${available}`);
  if (available > size)
    throw new DataError(`${path}: ${available - size} unexpected bytes after [${dims.join('×')}] of data`);
  return { dims, data: bytes.subarray(headerLength) };
}

export function readIdx(path: string, expectedDims: number): IdxArray {
  return parseIdx(readMaybeGzip(path), path, expectedDims);
}

/** Encodes an unsigned-byte IDX array (for tests and tools). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
