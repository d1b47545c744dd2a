/**
 * A run's checkpoint as the studio reads it: the state and tensor names from the header alone (for the runs list),
 * and G's weights (EMA or raw) for the playground. Cached per file version.
 */
import { closeSync, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { parseSavedConfig, type TrainConfig } from '../config.js';
import { type GeneratorTensor, packGenerator } from '../inference/generator_weights.js';
import { readCheckpoint } from '../io/checkpoint.js';
import { CHECKPOINT_FILE } from '../train/state.js';
import { runFile, statOrNull } from './files.js';
import { finite } from './metrics.js';

export interface CheckpointInfo {
  epoch: number;
  globalStep: number;
  bestFid: number | null;
  config: Record<string, unknown> | null;
  names: string[];
}

const MAX_HEADER_BYTES = 64 << 20;
const headers = new Map<string, { key: string; info: CheckpointInfo | Error }>();
const fileKey = (s: Stats) => `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}`;

/** The checkpoint's state and tensor names, from its header only (the data is not read); cached per file version. */
export function checkpointInfo(path: string, stats: Stats): CheckpointInfo {
  const key = fileKey(stats);
  const cached = headers.get(path);
  if (cached?.key === key) {
    if (cached.info instanceof Error) throw cached.info;
    return cached.info;
  }
  let info: CheckpointInfo | Error;
  try {
    info = readCheckpointHeader(path);
  } catch (err) {
    info = err as Error;
  }
  headers.set(path, { key, info });
  if (info instanceof Error) throw info;
  return info;
}

function readCheckpointHeader(path: string): CheckpointInfo {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const prefix = Buffer.alloc(16);
    if (size < 16 || readSync(fd, prefix, 0, 16, 0) !== 16 || prefix.toString('latin1', 0, 8) !== 'GANTRYCK')
      throw new Error('not a gantry checkpoint');
    const version = prefix.readUInt32LE(8);
    if (version !== 1) throw new Error(`format version ${version} (this gantry reads 1)`);
    const length = prefix.readUInt32LE(12);
    if (length > MAX_HEADER_BYTES || 16 + length > size) throw new Error('truncated header');
    const bytes = Buffer.alloc(length);
    if (readSync(fd, bytes, 0, length, 16) !== length) throw new Error('truncated header');
    let header: { state?: Record<string, unknown>; tensors?: { name?: unknown; length?: unknown }[] };
    try {
      header = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new Error('unreadable header');
    }
    if (
      header == null ||
      typeof header !== 'object' ||
      !Array.isArray(header.tensors) ||
      header.state == null ||
      typeof header.state !== 'object'
    ) {
      throw new Error('unreadable header');
    }
    let total = 0;
    for (const t of header.tensors) {
      if (typeof t?.name !== 'string' || typeof t.length !== 'number') throw new Error('unreadable header');
      total += t.length;
    }
    if (size - 16 - length !== total * 4)
      throw new Error(`expected ${total * 4} data bytes, found ${size - 16 - length}`);
    const state = header.state;
    const config =
      state.config != null && typeof state.config === 'object' && !Array.isArray(state.config)
        ? (state.config as Record<string, unknown>)
        : null;
    return {
      epoch: finite(state.epoch) ?? 1,
      globalStep: finite(state.globalStep) ?? 0,
      bestFid: finite(state.bestFid),
      config,
      names: header.tensors.map((t) => t.name as string),
    };
  } finally {
    closeSync(fd);
  }
}

export interface GeneratorWeights {
  config: TrainConfig;
  weights: 'ema' | 'raw';
  tensors: GeneratorTensor[];
  data: Float32Array;
  /** Identifies the checkpoint version the weights came from. */
  version: string;
}

/** Why a run's generator cannot be served: `status` is the HTTP status to answer with. */
export class GeneratorError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const generators = new Map<string, { key: string; picked: Map<'ema' | 'raw', GeneratorWeights> }>();
const MAX_CACHED_GENERATORS = 3;

/**
 * G's weights from a run's checkpoint (the EMA copy by default when the run keeps one), without the `G/` or
 * `G_ema/` prefix and without optimizer slots; D and the optimizers are never included. Cached per checkpoint.
 */
export function readGeneratorWeights(dir: string, weights?: 'ema' | 'raw'): GeneratorWeights {
  const path = runFile(dir, CHECKPOINT_FILE);
  const stats = path == null || path === 'outside' ? null : statOrNull(path);
  if (path == null || path === 'outside' || stats == null || !stats.isFile())
    throw new GeneratorError(404, 'this run has no checkpoint.bin yet');
  const key = fileKey(stats);
  let entry = generators.get(path);
  if (entry?.key !== key) {
    let checkpoint: ReturnType<typeof readCheckpoint<{ config?: unknown }>>;
    let config: TrainConfig;
    try {
      checkpoint = readCheckpoint<{ config?: unknown }>(path);
      config = parseSavedConfig(checkpoint.state.config, CHECKPOINT_FILE);
    } catch (err) {
      throw new GeneratorError(422, (err as Error).message.split(dir).join('<run>'));
    }
    const picked = new Map<'ema' | 'raw', GeneratorWeights>();
    picked.set('raw', { config, weights: 'raw', version: key, ...packGenerator(checkpoint.tensors, 'G/') });
    if ([...checkpoint.tensors.keys()].some((n) => n.startsWith('G_ema/'))) {
      picked.set('ema', { config, weights: 'ema', version: key, ...packGenerator(checkpoint.tensors, 'G_ema/') });
    }
    entry = { key, picked };
    generators.delete(path);
    generators.set(path, entry);
    while (generators.size > MAX_CACHED_GENERATORS) generators.delete(generators.keys().next().value!);
  }
  const choice = weights ?? (entry.picked.has('ema') ? 'ema' : 'raw');
  const picked = entry.picked.get(choice);
  if (picked == null)
    throw new GeneratorError(404, 'this run keeps no EMA generator (trained without --ema); ask for weights=raw');
  return picked;
}
