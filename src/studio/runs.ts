/**
 * What `gantry studio` knows about a runs folder: the run folders in it, a summary of each (status, config,
 * progress, best FID), complete lines of metrics.jsonl from a byte offset, and a run's generator weights from
 * its checkpoint. Read-only and tolerant: a half-written or malformed run is summarised as 'broken' with the
 * reason, never an exception.
 */
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { join, sep } from 'node:path';
import { parseSavedConfig, type TrainConfig } from '../config.js';
import { readCheckpoint } from '../io/checkpoint.js';
import { CHECKPOINT_FILE, STATUS_FILE, type RunStatus } from '../train/state.js';

export type RunState = 'training' | 'finished' | 'stopped' | 'failed' | 'broken' | 'unknown';

export interface RunSummary {
  /** Path of the run folder relative to the runs folder, '/'-separated (depth 1 or 2). */
  id: string;
  status: RunState;
  /** Why the run failed or is broken (or stopped, when its process is gone). */
  error?: string;
  dataset: string | null;
  data: string | null;
  preset: string | null;
  task: string | null;
  architecture: string | null;
  conditioning: string | null;
  numClasses: number | null;
  latentDim: number | null;
  imageSize: number | null;
  channels: number | null;
  /** Planned epochs. */
  epochs: number | null;
  /** Last completed epoch seen in the metrics or the checkpoint (0: none yet). */
  epoch: number;
  globalStep: number;
  stepsPerEpoch: number | null;
  /** Lowest FID over the eval lines. */
  bestFid: number | null;
  /** The `eval` object of the last eval line. */
  lastEval: Record<string, unknown> | null;
  hasCheckpoint: boolean;
  hasEma: boolean;
  /** PNG file names under samples/, sorted. */
  samples: string[];
  /** Newest modification time of the run's files, ms since the epoch. */
  updated: number;
}

/** Files whose presence makes a folder a run folder. */
const RUN_MARKERS = ['config.json', CHECKPOINT_FILE, 'metrics.jsonl'];
export const METRICS_FILE = 'metrics.jsonl';
/** A name of a file or folder the studio will look at: no dot files, separators or control characters. */
const SAFE_NAME = /^[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]*$/;
const SAMPLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*\.png$/;

export const isSafeName = (name: string): boolean => SAFE_NAME.test(name) && name !== '..' && name.length <= 255;
export const isSampleName = (name: string): boolean => SAMPLE_NAME.test(name);

/** True when `path` is `root` or inside it (both absolute and normalised). */
export function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/**
 * The real path of a file in run folder `dir` (itself a real path): null when absent, 'outside' when a symbolic
 * link leads out of the folder (the studio never reads those).
 */
export function runFile(dir: string, ...parts: string[]): string | null | 'outside' {
  let real: string;
  try {
    real = realpathSync(join(dir, ...parts));
  } catch {
    return null;
  }
  return isInside(real, dir) && real !== dir ? real : 'outside';
}

function isRunFolder(dir: string): boolean {
  return RUN_MARKERS.some((f) => statOrNull(join(dir, f))?.isFile() ?? false);
}

/** Run folders at depth 1 or 2 under `root` (real folders only: symbolic links are not followed), sorted by id. */
export function findRuns(root: string): string[] {
  const ids: string[] = [];
  const folders = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && isSafeName(d.name)).map((d) => d.name);
    } catch {
      return [];
    }
  };
  for (const name of folders(root)) {
    if (isRunFolder(join(root, name))) {
      ids.push(name);
      continue;
    }
    for (const inner of folders(join(root, name))) if (isRunFolder(join(root, name, inner))) ids.push(`${name}/${inner}`);
  }
  return ids.sort();
}

/**
 * The folder of run `id` under `root` (a real path), or null when `id` names no run: 1 or 2 safe names, a run
 * folder whose real path lies inside root, and (depth 2) not inside another run.
 */
export function resolveRun(root: string, id: string): string | null {
  const parts = id.split('/');
  if (parts.length < 1 || parts.length > 2 || !parts.every(isSafeName)) return null;
  const dir = join(root, ...parts);
  let real: string;
  try {
    real = realpathSync(dir);
  } catch {
    return null;
  }
  if (!isInside(real, root) || real === root || !statOrNull(real)?.isDirectory() || !isRunFolder(real)) return null;
  if (parts.length === 2 && isRunFolder(join(root, parts[0]))) return null;
  return real;
}

// ---------------------------------------------------------------------------------------------------------
// metrics.jsonl

export interface MetricsChunk {
  /** Complete, parseable lines (JSON objects). */
  lines: Record<string, unknown>[];
  /** Byte offset after the last complete line read. */
  bytes: number;
  /** Complete lines that are not JSON objects. */
  skipped: number;
  /** Set when the file is shorter than the offset asked for (rewritten, e.g. a resumed run): read from 0. */
  reset?: boolean;
}

const CHUNK_BYTES = 1 << 20;

/**
 * Complete lines of a metrics file from byte `from`, reading at most about `maxBytes`; a half-written last line
 * is left for later. A single line longer than maxBytes is skipped as malformed.
 */
export function readMetrics(path: string, from: number, maxBytes = 16 << 20): MetricsChunk {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    let reset = false;
    if (from > size) {
      from = 0;
      reset = true;
    }
    const out: MetricsChunk = { lines: [], bytes: from, skipped: 0 };
    if (reset) out.reset = true;
    scanLines(fd, from, Math.min(size, from + maxBytes), (line) => {
      const value = parseLine(line);
      if (value === undefined) return;
      if (value === null) out.skipped++;
      else out.lines.push(value);
    }, (end) => { out.bytes = end; });
    if (out.bytes === from && size - from > maxBytes) {
      // No line end within maxBytes: not a metrics file we can show.
      out.bytes = from + maxBytes;
      out.skipped++;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** A line as an object; null when malformed; undefined for an empty line. */
function parseLine(line: Buffer): Record<string, unknown> | null | undefined {
  const text = line.toString('utf8').trim();
  if (text === '') return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value != null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : null;
  } catch {
    return null;
  }
}

/** Calls `onLine` for each complete line in bytes [from, end) of fd and `onEnd` with the offset after each. */
function scanLines(fd: number, from: number, end: number, onLine: (line: Buffer) => void, onEnd: (offset: number) => void): void {
  let carry: Buffer = Buffer.alloc(0);
  let position = from;
  const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, Math.max(1, end - from)));
  while (position < end) {
    const n = readSync(fd, buffer, 0, Math.min(buffer.length, end - position), position);
    if (n <= 0) break;
    const chunk = carry.length > 0 ? Buffer.concat([carry, buffer.subarray(0, n)]) : buffer.subarray(0, n);
    const chunkStart = position - carry.length;
    position += n;
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      onLine(chunk.subarray(start, nl));
      start = nl + 1;
      onEnd(chunkStart + start);
    }
    carry = Buffer.from(chunk.subarray(start));
  }
}

/** What the list needs from a metrics file, updated incrementally as the file grows. */
interface MetricsDigest {
  ino: number;
  bytes: number;
  lines: number;
  bad: number;
  firstBad: number;
  maxEpoch: number;
  maxStep: Map<number, number>;
  evalEpoch: number;
  globalStep: number;
  bestFid: number | null;
  lastEval: Record<string, unknown> | null;
  /** Bytes after the last line end (a line being written, or garbage without line ends). */
  tail: number;
}

const digests = new Map<string, MetricsDigest>();

function digestMetrics(path: string): MetricsDigest | null {
  const stats = statOrNull(path);
  if (stats == null || !stats.isFile()) {
    digests.delete(path);
    return null;
  }
  let d = digests.get(path);
  if (d == null || d.ino !== stats.ino || stats.size < d.bytes) {
    d = { ino: stats.ino, bytes: 0, lines: 0, bad: 0, firstBad: 0, maxEpoch: 0, maxStep: new Map(), evalEpoch: 0, globalStep: 0, bestFid: null, lastEval: null, tail: 0 };
    digests.set(path, d);
  }
  const digest = d;
  if (stats.size > digest.bytes) {
    const fd = openSync(path, 'r');
    try {
      scanLines(fd, digest.bytes, stats.size, (line) => {
        const value = parseLine(line);
        if (value === undefined) return;
        digest.lines++;
        if (value === null) {
          if (digest.bad++ === 0) digest.firstBad = digest.lines;
          return;
        }
        addLine(digest, value);
      }, (end) => { digest.bytes = end; });
    } finally {
      closeSync(fd);
    }
  }
  digest.tail = stats.size - digest.bytes;
  return digest;
}

const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function addLine(d: MetricsDigest, line: Record<string, unknown>): void {
  const epoch = finite(line.epoch);
  const globalStep = finite(line.global_step);
  if (globalStep != null) d.globalStep = Math.max(d.globalStep, globalStep);
  if (line.eval != null && typeof line.eval === 'object' && !Array.isArray(line.eval)) {
    const scores = line.eval as Record<string, unknown>;
    d.lastEval = scores;
    if (epoch != null) d.evalEpoch = Math.max(d.evalEpoch, epoch);
    const fid = finite(scores.fid);
    if (fid != null && (d.bestFid == null || fid < d.bestFid)) d.bestFid = fid;
    return;
  }
  const step = finite(line.step);
  if (epoch == null || step == null) return;
  d.maxEpoch = Math.max(d.maxEpoch, epoch);
  d.maxStep.set(epoch, Math.max(d.maxStep.get(epoch) ?? 0, step));
}

// ---------------------------------------------------------------------------------------------------------
// checkpoint header

interface CheckpointInfo {
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
function checkpointInfo(path: string, stats: Stats): CheckpointInfo {
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
    if (size < 16 || readSync(fd, prefix, 0, 16, 0) !== 16 || prefix.toString('latin1', 0, 8) !== 'GANTRYCK') throw new Error('not a gantry checkpoint');
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
    if (header == null || typeof header !== 'object' || !Array.isArray(header.tensors) || header.state == null || typeof header.state !== 'object') {
      throw new Error('unreadable header');
    }
    let total = 0;
    for (const t of header.tensors) {
      if (typeof t?.name !== 'string' || typeof t.length !== 'number') throw new Error('unreadable header');
      total += t.length;
    }
    if (size - 16 - length !== total * 4) throw new Error(`expected ${total * 4} data bytes, found ${size - 16 - length}`);
    const state = header.state;
    const config = state.config != null && typeof state.config === 'object' && !Array.isArray(state.config) ? state.config as Record<string, unknown> : null;
    return {
      epoch: finite(state.epoch) ?? 1, globalStep: finite(state.globalStep) ?? 0, bestFid: finite(state.bestFid), config,
      names: header.tensors.map((t) => t.name as string),
    };
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------------------
// summary

/** Whether a process with this pid runs (EPERM: it does, as another user). */
export function processAlive(pid: unknown): boolean {
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readJson(path: string): { value: unknown } | { error: string } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? null : { error: `unreadable (${code ?? String(err)})` };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (err) {
    return { error: `not valid JSON (${(err as Error).message.split('\n')[0]})` };
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v != null && typeof v === 'object' && !Array.isArray(v);
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** The summary of the run in folder `dir` (a real path); never throws. */
export function summarizeRun(id: string, dir: string): RunSummary {
  const summary: RunSummary = {
    id, status: 'unknown', dataset: null, data: null, preset: null, task: null, architecture: null, conditioning: null,
    numClasses: null, latentDim: null, imageSize: null, channels: null, epochs: null, epoch: 0, globalStep: 0,
    stepsPerEpoch: null, bestFid: null, lastEval: null, hasCheckpoint: false, hasEma: false, samples: [], updated: 0,
  };
  const broken: string[] = [];
  try {
    fillSummary(summary, dir, broken);
  } catch (err) {
    broken.push(`cannot read the run: ${(err as Error).message.split('\n')[0]}`);
  }
  if (broken.length > 0) {
    summary.status = 'broken';
    summary.error = broken.join('; ');
  }
  return summary;
}

function fillSummary(s: RunSummary, dir: string, broken: string[]): void {
  const file = (name: string, required: boolean) => {
    const path = runFile(dir, name);
    if (path === 'outside') {
      if (required) broken.push(`${name} links outside the run folder`);
      return null;
    }
    const st = path == null ? null : statOrNull(path);
    if (st != null) s.updated = Math.max(s.updated, st.mtimeMs);
    return path == null || st == null ? null : { path, stats: st };
  };
  // Config: config.json, else the checkpoint's.
  let config: Record<string, unknown> | null = null;
  const configPath = file('config.json', true);
  const configFile = configPath == null ? null : readJson(configPath.path);
  if (configFile != null) {
    if ('error' in configFile) broken.push(`config.json is ${configFile.error}`);
    else if (!isObject(configFile.value)) broken.push('config.json is not a JSON object');
    else config = configFile.value;
  }

  const checkpointFile = file(CHECKPOINT_FILE, true);
  let checkpoint: CheckpointInfo | null = null;
  if (checkpointFile != null) {
    s.hasCheckpoint = true;
    try {
      checkpoint = checkpointInfo(checkpointFile.path, checkpointFile.stats);
      s.hasEma = checkpoint.names.some((n) => n.startsWith('G_ema/'));
      config ??= checkpoint.config;
    } catch (err) {
      broken.push(`${CHECKPOINT_FILE} is unreadable: ${(err as Error).message}`);
    }
  }
  if (config == null && configFile == null && !broken.some((b) => b.startsWith('config.json'))) broken.push('config.json is missing');

  if (config != null) {
    s.dataset = text(config.dataset);
    s.data = text(config.data);
    s.preset = text(config.preset);
    s.task = text(config.task) ?? 'none';
    s.architecture = text(config.architecture);
    s.conditioning = text(config.conditioning) ?? 'none';
    s.numClasses = finite(config.numClasses) ?? 0;
    s.latentDim = finite(config.latentDim);
    s.imageSize = finite(config.imageSize);
    s.channels = finite(config.channels);
    s.epochs = finite(config.epochs);
  }

  // Metrics.
  const metricsFile = file(METRICS_FILE, true);
  const metrics = metricsFile == null ? null : digestMetrics(metricsFile.path);
  if (metrics != null) {
    if (metrics.bad > 0) broken.push(`${METRICS_FILE} has ${metrics.bad} malformed line${metrics.bad === 1 ? '' : 's'} (first: line ${metrics.firstBad})`);
    if (metrics.tail > (4 << 20)) broken.push(`${METRICS_FILE} ends in ${metrics.tail} bytes without a line end`);
    const earlier = [...metrics.maxStep.entries()].filter(([e]) => e < metrics.maxEpoch).map(([, n]) => n);
    s.stepsPerEpoch = earlier.length > 0 ? Math.max(...earlier) : null;
    let completed = Math.max(metrics.evalEpoch, metrics.maxEpoch - 1);
    if (s.stepsPerEpoch != null && (metrics.maxStep.get(metrics.maxEpoch) ?? 0) >= s.stepsPerEpoch) completed = Math.max(completed, metrics.maxEpoch);
    s.epoch = Math.max(0, completed);
    s.globalStep = metrics.globalStep;
    s.bestFid = metrics.bestFid;
    s.lastEval = metrics.lastEval;
  }
  if (checkpoint != null) {
    s.epoch = Math.max(s.epoch, checkpoint.epoch - 1);
    s.globalStep = Math.max(s.globalStep, checkpoint.globalStep);
    s.bestFid ??= checkpoint.bestFid;
    if (s.stepsPerEpoch == null && metrics != null && s.epoch >= metrics.maxEpoch && metrics.maxEpoch > 0) s.stepsPerEpoch = metrics.maxStep.get(metrics.maxEpoch) ?? null;
  }

  file('fid.png', false);
  const samples = file('samples', false);
  try {
    s.samples = samples == null ? [] : readdirSync(samples.path, { withFileTypes: true }).filter((d) => d.isFile() && isSampleName(d.name)).map((d) => d.name).sort();
  } catch {
    s.samples = [];
  }

  // Status.
  const statusPath = file(STATUS_FILE, true);
  const statusFile = statusPath == null ? null : readJson(statusPath.path);
  if (statusFile == null) {
    s.status = s.epochs != null && s.epoch >= s.epochs ? 'finished' : 'unknown';
  } else if ('error' in statusFile) {
    broken.push(`${STATUS_FILE} is ${statusFile.error}`);
  } else {
    const status = statusFile.value as Partial<RunStatus> | null;
    const state = isObject(status) ? status.state : undefined;
    if (state === 'training') {
      if (processAlive(status!.pid)) {
        s.status = 'training';
      } else {
        s.status = 'stopped';
        s.error = 'the training process is gone';
      }
    } else if (state === 'finished' || state === 'stopped' || state === 'failed') {
      s.status = state;
      if (typeof status!.error === 'string') s.error = status!.error;
    } else {
      broken.push(`${STATUS_FILE} has no known state`);
    }
  }
  s.updated = Math.round(s.updated);
}

// ---------------------------------------------------------------------------------------------------------
// generator weights

export interface GeneratorTensor {
  name: string;
  shape: number[];
  /** Offset in float32 elements into `data`. */
  offset: number;
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
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const generators = new Map<string, { key: string; picked: Map<'ema' | 'raw', GeneratorWeights> }>();
const MAX_CACHED_GENERATORS = 3;

/**
 * G's weights from a run's checkpoint (the EMA copy by default when the run keeps one), without the `G/` or
 * `G_ema/` prefix and without optimizer slots; D and the optimizers are never included. Cached per checkpoint.
 */
export function runGenerator(dir: string, weights?: 'ema' | 'raw'): GeneratorWeights {
  const path = runFile(dir, CHECKPOINT_FILE);
  const stats = path == null || path === 'outside' ? null : statOrNull(path);
  if (path == null || path === 'outside' || stats == null || !stats.isFile()) throw new GeneratorError(404, 'this run has no checkpoint.bin yet');
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
    picked.set('raw', { config, weights: 'raw', version: key, ...pickGenerator(checkpoint.tensors, 'G/') });
    if ([...checkpoint.tensors.keys()].some((n) => n.startsWith('G_ema/'))) {
      picked.set('ema', { config, weights: 'ema', version: key, ...pickGenerator(checkpoint.tensors, 'G_ema/') });
    }
    entry = { key, picked };
    generators.delete(path);
    generators.set(path, entry);
    while (generators.size > MAX_CACHED_GENERATORS) generators.delete(generators.keys().next().value!);
  }
  const choice = weights ?? (entry.picked.has('ema') ? 'ema' : 'raw');
  const picked = entry.picked.get(choice);
  if (picked == null) throw new GeneratorError(404, 'this run keeps no EMA generator (trained without --ema); ask for weights=raw');
  return picked;
}

/** The tensors under `prefix`, minus optimizer slots ("adam.m/<name>" where "<name>" is a tensor too), packed. */
function pickGenerator(stored: Map<string, { shape: number[]; data: Float32Array }>, prefix: string): Pick<GeneratorWeights, 'tensors' | 'data'> {
  const names = [...stored.keys()].filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
  const all = new Set(names);
  const isSlot = (name: string) => {
    const cut = name.indexOf('/');
    return cut > 0 && name.slice(0, cut).includes('.') && all.has(name.slice(cut + 1));
  };
  const kept = names.filter((n) => !isSlot(n));
  const tensors: GeneratorTensor[] = [];
  let total = 0;
  for (const name of kept) {
    tensors.push({ name, shape: stored.get(prefix + name)!.shape, offset: total });
    total += stored.get(prefix + name)!.data.length;
  }
  const data = new Float32Array(total);
  kept.forEach((name, i) => data.set(stored.get(prefix + name)!.data, tensors[i].offset));
  return { tensors, data };
}
