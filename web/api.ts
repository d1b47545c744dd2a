/** The studio server's HTTP API (src/studio/server.ts), typed. */

/** A run as the server sums it up (many fields are null for a broken run whose config cannot be read). */
export type { RunState, RunSummary } from '../src/studio/runs.js';

import type { RunSummary } from '../src/studio/runs.js';

/** An image-to-image run (its G maps images, not noise). */
export const isImage2Image = (run: RunSummary): boolean => run.task != null && run.task !== 'none';

/** Classes of a conditional run; 0 for an unconditional one. */
export const runClasses = (run: RunSummary): number =>
  run.conditioning == null || run.conditioning === 'none' ? 0 : (run.numClasses ?? 0);

/** metrics.jsonl's lines (src/io/metrics_log.ts), as the metrics endpoints send them. */
export type { EvalLine, MetricsLine, StepLine } from '../src/train/metrics_log.js';
export { isEvalLine, isStepLine } from '../src/train/metrics_log.js';

import type { MetricsLine } from '../src/train/metrics_log.js';

export interface MetricsChunk {
  lines: MetricsLine[];
  /** Byte offset in metrics.jsonl after the last whole line returned. */
  bytes: number;
  skipped?: number;
  /** The file got shorter than the offset asked for (a resumed run cut it back): these lines are from byte 0. */
  reset?: boolean;
}

/** The API path of a run; each part of its id is escaped. */
export function runPath(id: string): string {
  return `/api/runs/${id.split('/').map(encodeURIComponent).join('/')}`;
}

export function fileUrl(id: string, path: string): string {
  return `${runPath(id)}/files/${path}`;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

export const listRuns = () => getJson<{ root: string; runs: RunSummary[] }>('/api/runs');

export const getRun = (id: string) => getJson<RunSummary>(runPath(id));

export const getMetrics = (id: string, from = 0) => getJson<MetricsChunk>(`${runPath(id)}/metrics?from=${from}`);

export interface RunWatch {
  close(): void;
}

/**
 * Follows a run over server-sent events from byte `from` of metrics.jsonl. On a dropped connection it reconnects
 * from the bytes it has (never re-reading lines), until the run is no longer training.
 */
export function watchRun(
  id: string,
  from: number,
  on: { metrics(lines: MetricsLine[], reset: boolean): void; status(run: RunSummary): void },
): RunWatch {
  let bytes = from;
  let training = true;
  let closed = false;
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;
  const open = () => {
    source = new EventSource(`${runPath(id)}/events?from=${bytes}`);
    source.addEventListener('metrics', (e) => {
      const chunk = JSON.parse((e as MessageEvent<string>).data) as MetricsChunk;
      if (chunk.reset) {
        bytes = chunk.bytes;
        on.metrics(chunk.lines, true);
        return;
      }
      if (chunk.bytes <= bytes) return;
      bytes = chunk.bytes;
      if (chunk.lines.length > 0) on.metrics(chunk.lines, false);
    });
    source.addEventListener('status', (e) => {
      const run = JSON.parse((e as MessageEvent<string>).data) as RunSummary;
      training = run.status === 'training';
      on.status(run);
    });
    source.onerror = () => {
      source?.close();
      if (!closed && training) retry = setTimeout(open, 2000);
    };
  };
  open();
  return {
    close() {
      closed = true;
      clearTimeout(retry);
      source?.close();
    },
  };
}
