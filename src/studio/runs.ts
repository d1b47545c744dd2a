/**
 * What `gantry studio` knows about a runs folder: the run folders in it and a summary of each (status, config,
 * progress, best FID), from config.json, status.json and what metrics.ts and checkpoints.ts read. Read-only and
 * tolerant: a half-written or malformed run is summarised as 'broken' with the reason, never an exception.
 */
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILE, type RunStatus, STATUS_FILE } from '../train/state.js';
import { type CheckpointInfo, checkpointInfo } from './checkpoints.js';
import { isInside, isSafeName, isSampleName, runFile, statOrNull } from './files.js';
import { digestMetrics, finite } from './metrics.js';

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
  /** Training time so far and the time budget (--time-budget), from status.json; null when unknown or none. */
  elapsedSeconds: number | null;
  budgetSeconds: number | null;
  /** What training said about its images (e.g. that two evaluations in a row looked collapsed), or null. */
  warning: string | null;
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
function isRunFolder(dir: string): boolean {
  return RUN_MARKERS.some((f) => statOrNull(join(dir, f))?.isFile() ?? false);
}

/** Run folders at depth 1 or 2 under `root` (real folders only: symbolic links are not followed), sorted by id. */
export function findRuns(root: string): string[] {
  const ids: string[] = [];
  const folders = (dir: string) => {
    try {
      return readdirSync(dir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && isSafeName(d.name))
        .map((d) => d.name);
    } catch {
      return [];
    }
  };
  for (const name of folders(root)) {
    if (isRunFolder(join(root, name))) {
      ids.push(name);
      continue;
    }
    for (const inner of folders(join(root, name)))
      if (isRunFolder(join(root, name, inner))) ids.push(`${name}/${inner}`);
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
    id,
    status: 'unknown',
    dataset: null,
    data: null,
    preset: null,
    task: null,
    architecture: null,
    conditioning: null,
    numClasses: null,
    latentDim: null,
    imageSize: null,
    channels: null,
    epochs: null,
    epoch: 0,
    globalStep: 0,
    stepsPerEpoch: null,
    elapsedSeconds: null,
    budgetSeconds: null,
    warning: null,
    bestFid: null,
    lastEval: null,
    hasCheckpoint: false,
    hasEma: false,
    samples: [],
    updated: 0,
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
  if (config == null && configFile == null && !broken.some((b) => b.startsWith('config.json')))
    broken.push('config.json is missing');

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
    if (metrics.bad > 0)
      broken.push(
        `${METRICS_FILE} has ${metrics.bad} malformed line${metrics.bad === 1 ? '' : 's'} (first: line ${metrics.firstBad})`,
      );
    if (metrics.tail > 4 << 20) broken.push(`${METRICS_FILE} ends in ${metrics.tail} bytes without a line end`);
    const earlier = [...metrics.maxStep.entries()].filter(([e]) => e < metrics.maxEpoch).map(([, n]) => n);
    s.stepsPerEpoch = earlier.length > 0 ? Math.max(...earlier) : null;
    let completed = Math.max(metrics.evalEpoch, metrics.maxEpoch - 1);
    if (s.stepsPerEpoch != null && (metrics.maxStep.get(metrics.maxEpoch) ?? 0) >= s.stepsPerEpoch)
      completed = Math.max(completed, metrics.maxEpoch);
    s.epoch = Math.max(0, completed);
    s.globalStep = metrics.globalStep;
    s.bestFid = metrics.bestFid;
    s.lastEval = metrics.lastEval;
  }
  if (checkpoint != null) {
    s.epoch = Math.max(s.epoch, checkpoint.epoch - 1);
    s.globalStep = Math.max(s.globalStep, checkpoint.globalStep);
    s.bestFid ??= checkpoint.bestFid;
    if (s.stepsPerEpoch == null && metrics != null && s.epoch >= metrics.maxEpoch && metrics.maxEpoch > 0)
      s.stepsPerEpoch = metrics.maxStep.get(metrics.maxEpoch) ?? null;
  }

  file('fid.png', false);
  const samples = file('samples', false);
  try {
    s.samples =
      samples == null
        ? []
        : readdirSync(samples.path, { withFileTypes: true })
            .filter((d) => d.isFile() && isSampleName(d.name))
            .map((d) => d.name)
            .sort();
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
    if (isObject(status)) {
      // The training process says how long an epoch is from its first step on (the metrics only after one epoch).
      s.stepsPerEpoch ??= finite(status.stepsPerEpoch);
      s.elapsedSeconds = finite(status.elapsedSeconds);
      s.budgetSeconds = finite(status.budgetSeconds);
      s.warning = typeof status.warning === 'string' ? status.warning.slice(0, 300) : null;
    }
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
