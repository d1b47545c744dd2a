/**
 * metrics.jsonl as the studio reads it: complete lines from a byte offset (a half-written last line is left for
 * later), and a per-file digest (progress, evaluations) updated incrementally as the file grows. The lines'
 * kinds and fields are those of src/io/metrics_log.ts; values are checked here before use.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { EvalLine, EvalScores, MetricsLine, StepLine } from '../train/metrics_log.js';
import { statOrNull } from './files.js';

export interface MetricsChunk {
  /** Complete, parseable lines (JSON objects), as written: their values are not checked. */
  lines: MetricsLine[];
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
    scanLines(
      fd,
      from,
      Math.min(size, from + maxBytes),
      (line) => {
        const value = parseLine(line);
        if (value === undefined) return;
        if (value === null) out.skipped++;
        else out.lines.push(value as unknown as MetricsLine);
      },
      (end) => {
        out.bytes = end;
      },
    );
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
    return value != null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** Calls `onLine` for each complete line in bytes [from, end) of fd and `onEnd` with the offset after each. */
function scanLines(
  fd: number,
  from: number,
  end: number,
  onLine: (line: Buffer) => void,
  onEnd: (offset: number) => void,
): void {
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
export interface MetricsDigest {
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

export function digestMetrics(path: string): MetricsDigest | null {
  const stats = statOrNull(path);
  if (stats == null || !stats.isFile()) {
    digests.delete(path);
    return null;
  }
  let d = digests.get(path);
  if (d == null || d.ino !== stats.ino || stats.size < d.bytes) {
    d = {
      ino: stats.ino,
      bytes: 0,
      lines: 0,
      bad: 0,
      firstBad: 0,
      maxEpoch: 0,
      maxStep: new Map(),
      evalEpoch: 0,
      globalStep: 0,
      bestFid: null,
      lastEval: null,
      tail: 0,
    };
    digests.set(path, d);
  }
  const digest = d;
  if (stats.size > digest.bytes) {
    const fd = openSync(path, 'r');
    try {
      scanLines(
        fd,
        digest.bytes,
        stats.size,
        (line) => {
          const value = parseLine(line);
          if (value === undefined) return;
          digest.lines++;
          if (value === null) {
            if (digest.bad++ === 0) digest.firstBad = digest.lines;
            return;
          }
          addLine(digest, value);
        },
        (end) => {
          digest.bytes = end;
        },
      );
    } finally {
      closeSync(fd);
    }
  }
  digest.tail = stats.size - digest.bytes;
  return digest;
}

export const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** A parsed line before its values are checked: metrics.jsonl's field names, any values. */
type UncheckedLine = { [K in keyof StepLine | keyof EvalLine]?: unknown };

function addLine(d: MetricsDigest, line: UncheckedLine): void {
  const epoch = finite(line.epoch);
  const globalStep = finite(line.global_step);
  if (globalStep != null) d.globalStep = Math.max(d.globalStep, globalStep);
  if (line.eval != null && typeof line.eval === 'object' && !Array.isArray(line.eval)) {
    const scores = line.eval as { [K in keyof EvalScores]?: unknown };
    d.lastEval = line.eval as Record<string, unknown>;
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
