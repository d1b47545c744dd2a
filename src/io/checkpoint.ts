/**
 * Checkpoints: one file holding a JSON header (training state, tensor index, SHA-256 of the data) and the
 * tensors' float32 data. Written atomically; a truncated or altered file is refused with a clear error.
 *   "GANTRYCK" | u32 version | u32 header bytes | header JSON | data
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from './files.js';

const MAGIC = 'GANTRYCK';
const VERSION = 1;

export interface StoredTensor {
  shape: number[];
  data: Float32Array;
}

interface TensorEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

interface Header<S> {
  state: S;
  tensors: TensorEntry[];
  sha256: string;
}

/** A checkpoint that cannot be read; the message names the file and what is wrong. */
export class CheckpointError extends UserError {}

export function writeCheckpoint<S>(path: string, state: S, tensors: Map<string, StoredTensor>): void {
  const entries: TensorEntry[] = [];
  let total = 0;
  for (const [name, t] of tensors) {
    entries.push({ name, shape: t.shape, offset: total, length: t.data.length });
    total += t.data.length;
  }
  const data = new Float32Array(total);
  for (const [i, t] of [...tensors.values()].entries()) data.set(t.data, entries[i].offset);
  const dataBytes = new Uint8Array(data.buffer);
  const header: Header<S> = { state, tensors: entries, sha256: createHash('sha256').update(dataBytes).digest('hex') };
  const headerBytes = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(16);
  prefix.write(MAGIC, 0, 'ascii');
  prefix.writeUInt32LE(VERSION, 8);
  prefix.writeUInt32LE(headerBytes.length, 12);
  writeFileAtomic(path, Buffer.concat([prefix, headerBytes, dataBytes]));
}

export function readCheckpoint<S>(path: string): { state: S; tensors: Map<string, StoredTensor> } {
  let file: Buffer;
  try {
    file = readFileSync(path);
  } catch (err) {
    throw new CheckpointError(`cannot read checkpoint ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const bad = (why: string) => new CheckpointError(`checkpoint ${path} is corrupt: ${why}`);
  if (file.length < 16 || file.toString('ascii', 0, 8) !== MAGIC) throw bad('not a gantry checkpoint');
  const version = file.readUInt32LE(8);
  if (version !== VERSION)
    throw new CheckpointError(`checkpoint ${path} has format version ${version}; this gantry reads ${VERSION}`);
  const headerLength = file.readUInt32LE(12);
  if (16 + headerLength > file.length) throw bad('truncated header');
  let header: Header<S>;
  try {
    header = JSON.parse(file.toString('utf8', 16, 16 + headerLength)) as Header<S>;
  } catch {
    throw bad('unreadable header');
  }
  const dataStart = 16 + headerLength;
  const total = header.tensors.reduce((n, t) => n + t.length, 0);
  if (file.length - dataStart !== total * 4)
    throw bad(`expected ${total * 4} data bytes, found ${file.length - dataStart}`);
  const dataBytes = file.subarray(dataStart);
  if (createHash('sha256').update(dataBytes).digest('hex') !== header.sha256) throw bad('checksum mismatch');
  const data = new Float32Array(total);
  new Uint8Array(data.buffer).set(dataBytes);
  const tensors = new Map<string, StoredTensor>();
  for (const t of header.tensors)
    tensors.set(t.name, { shape: t.shape, data: data.subarray(t.offset, t.offset + t.length) });
  return { state: header.state, tensors };
}
