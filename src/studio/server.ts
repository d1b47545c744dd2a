/**
 * The server of `gantry studio`: a read-only local web app over a runs folder. JSON API under /api/runs, live
 * metrics as server-sent events, run files (sample grids, FID plot, config, metrics), a run's generator weights
 * for the browser, the built front end (dist/web) and tfjs's wasm binaries.
 *
 * It reads only inside the runs folder, the web folder and tfjs-backend-wasm's dist folder, and writes nothing.
 * Requests are GET or HEAD without a body, with short URLs and headers; paths are decoded once and refused when
 * they could leave the folder in any encoding, and the real path of every file served is checked to lie inside.
 */
import {
  closeSync,
  createReadStream,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GeneratorManifest, MANIFEST_FORMAT, MANIFEST_VERSION } from '../inference/generator_weights.js';
import { GeneratorError, readGeneratorWeights } from './checkpoints.js';
import { isInside, isSampleName, runFile } from './files.js';
import { readMetrics } from './metrics.js';
import { decodePath } from './paths.js';
import { findRuns, METRICS_FILE, resolveRun, summarizeRun } from './runs.js';

export interface StudioOptions {
  /** The runs folder to serve. */
  runsDir: string;
  /** 0: any free port (default 7860). */
  port?: number;
  /** Default 127.0.0.1; anything else makes the studio reachable from the network. */
  host?: string;
  /** The built front end (default: dist/web at the package root). */
  webDir?: string;
}

export interface Studio {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The studio cannot start (missing runs folder, port in use); the message is one line for the user. */
export class StudioError extends Error {}

/** dist/web at the package root (this file is dist/src/studio/server.js once compiled). */
export function defaultWebDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'dist', 'web');
}

function wasmDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  } catch {
    return null;
  }
}

const MAX_URL = 2048;
const MAX_STREAMS = 32;
const POLL_MS = 300;
const KEEP_ALIVE_MS = 15_000;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** For HTML: scripts only from the studio itself (plus WebAssembly compilation for tfjs's wasm backend). */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>gantry studio</title></head>
<body><h1>gantry studio</h1><p>The front end is not built yet (no dist/web folder). Build it, then reload this page.
The API works: <a href="/api/runs">/api/runs</a>.</p></body></html>
`;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A loopback address or name (the studio is then reachable from this machine only). */
export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

export async function startStudio(options: StudioOptions): Promise<Studio> {
  const root = resolve(options.runsDir);
  let rootReal: string;
  try {
    rootReal = realpathSync(root);
    if (!statSync(rootReal).isDirectory()) throw new StudioError(`${options.runsDir} is not a folder`);
  } catch (err) {
    if (err instanceof StudioError) throw err;
    throw new StudioError(
      `runs folder ${options.runsDir} does not exist (train a run first: gantry train --out ${join(options.runsDir, 'first')})`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 7860;
  const context: Context = {
    root,
    rootReal,
    webDir: options.webDir ?? defaultWebDir(),
    wasmDir: wasmDir(),
    loopback: isLoopback(host),
    streams: new Set(),
  };

  const server = createServer(
    { maxHeaderSize: 8192, requestTimeout: 15_000, headersTimeout: 10_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      try {
        handle(context, req, res);
      } catch (err) {
        fail(
          req,
          res,
          err instanceof HttpError
            ? err
            : new HttpError(500, `internal error: ${(err as Error).message.split('\n')[0]}`),
        );
      }
    },
  );
  server.maxConnections = 256;
  server.setTimeout(60_000);
  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        rejectListen(
          new StudioError(`port ${port} is in use (pick another with --port, or --port 0 for any free port)`),
        );
      else if (err.code === 'EACCES')
        rejectListen(new StudioError(`no permission to listen on ${host}:${port} (pick a port above 1023)`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND')
        rejectListen(new StudioError(`cannot listen on host ${host} (not an address of this machine)`));
      else rejectListen(err);
    });
    server.listen(port, host, () => resolveListen());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address != null ? address.port : port;
  const urlHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${boundPort}/`,
    port: boundPort,
    close: () =>
      new Promise<void>((resolveClose) => {
        for (const stop of context.streams) stop();
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

interface Context {
  root: string;
  rootReal: string;
  webDir: string;
  wasmDir: string | null;
  /** Bound to a loopback address: only loopback Host headers are answered (against DNS rebinding). */
  loopback: boolean;
  /** Stops each open event stream. */
  streams: Set<() => void>;
}

function handle(ctx: Context, req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  const raw = req.url ?? '';
  if (raw.length > MAX_URL) throw new HttpError(414, `the URL is longer than ${MAX_URL} characters`);
  if (req.method !== 'GET' && req.method !== 'HEAD')
    throw new HttpError(405, 'the studio is read-only: only GET and HEAD', { Allow: 'GET, HEAD' });
  const length = req.headers['content-length'];
  if ((length != null && length !== '0') || req.headers['transfer-encoding'] != null)
    throw new HttpError(413, 'requests take no body', { Connection: 'close' });
  if (ctx.loopback && req.headers.host != null) {
    const name = req.headers.host.startsWith('[')
      ? req.headers.host.slice(0, req.headers.host.indexOf(']') + 1)
      : req.headers.host.split(':')[0];
    if (!isLoopback(name.toLowerCase()))
      throw new HttpError(403, `the studio answers only requests to localhost, not to ${name}`);
  }
  const q = raw.indexOf('?');
  const path = decodePath(q === -1 ? raw : raw.slice(0, q));
  if (!Array.isArray(path)) throw new HttpError(path.status, path.error);
  const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));

  if (path[0] === 'api') {
    if (path[1] !== 'runs') throw new HttpError(404, 'no such API (see /api/runs)');
    if (path.length === 2) {
      const runs = findRuns(ctx.rootReal)
        .map((id) => {
          const dir = resolveRun(ctx.rootReal, id);
          return dir == null ? null : summarizeRun(id, dir);
        })
        .filter((s) => s != null);
      return sendJson(req, res, 200, { root: ctx.root, runs });
    }
    return runRoute(ctx, req, res, path.slice(2), query);
  }
  if (path[0] === 'tfjs-wasm') {
    const name = path.length === 2 ? path[1] : '';
    if (ctx.wasmDir == null || !name.endsWith('.wasm') || !readdirSync(ctx.wasmDir).includes(name))
      throw new HttpError(404, 'no such wasm file');
    return sendFile(req, res, join(ctx.wasmDir, name), ctx.wasmDir, { cache: 'public, max-age=86400' });
  }
  return staticRoute(ctx, req, res, path);
}

const ACTIONS = new Set(['metrics', 'events', 'generator', 'generator.bin']);
const RUN_FILES = new Set(['fid.png', 'config.json', METRICS_FILE]);

/** /api/runs/<id>[/<action> | /files/<relpath>], where <id> is one or two names. */
function runRoute(
  ctx: Context,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string[],
  query: URLSearchParams,
): void {
  for (const k of [1, 2]) {
    if (rest.length < k) break;
    const action =
      rest.length === k
        ? ''
        : rest.length === k + 1 && ACTIONS.has(rest[k])
          ? rest[k]
          : rest[k] === 'files' && rest.length > k + 1
            ? 'files'
            : null;
    if (action == null) continue;
    const id = rest.slice(0, k).join('/');
    const dir = resolveRun(ctx.rootReal, id);
    if (dir == null) continue;
    switch (action) {
      case '':
        return sendJson(req, res, 200, summarizeRun(id, dir));
      case 'metrics': {
        const path = runFile(dir, METRICS_FILE);
        const from = offsetParam(query);
        if (path === 'outside') throw new HttpError(404, `${METRICS_FILE} links outside the run folder`);
        const chunk = path != null ? readMetrics(path, from) : { lines: [], bytes: 0, skipped: 0 };
        return sendJson(req, res, 200, chunk);
      }
      case 'events':
        return openEvents(ctx, req, res, id, dir, offsetParam(query, req.headers['last-event-id']));
      case 'generator':
      case 'generator.bin':
        return sendGenerator(req, res, dir, action === 'generator.bin', query);
      case 'files': {
        const rel = rest.slice(k + 1);
        const allowed =
          (rel.length === 1 && RUN_FILES.has(rel[0])) ||
          (rel.length === 2 && rel[0] === 'samples' && isSampleName(rel[1]));
        if (!allowed)
          throw new HttpError(
            404,
            'not a run file the studio serves (samples/*.png, fid.png, config.json, metrics.jsonl)',
          );
        return sendFile(req, res, join(dir, ...rel), dir, { cache: 'no-cache' });
      }
    }
  }
  throw new HttpError(404, `no run ${rest.join('/')} (see /api/runs)`);
}

/** `from` (or an EventSource's Last-Event-ID): a byte offset. */
function offsetParam(query: URLSearchParams, lastEventId?: string | string[]): number {
  const value = query.get('from') ?? (typeof lastEventId === 'string' ? lastEventId : null);
  if (value == null) return 0;
  if (!/^\d{1,15}$/.test(value))
    throw new HttpError(400, `from must be a byte offset (a whole number), got '${value.slice(0, 40)}'`);
  return Number(value);
}

function sendGenerator(
  req: IncomingMessage,
  res: ServerResponse,
  dir: string,
  binary: boolean,
  query: URLSearchParams,
): void {
  const weights = query.get('weights');
  if (weights != null && weights !== 'ema' && weights !== 'raw')
    throw new HttpError(400, `weights must be ema or raw, got '${weights.slice(0, 40)}'`);
  let generator: ReturnType<typeof readGeneratorWeights>;
  try {
    generator = readGeneratorWeights(dir, weights ?? undefined);
  } catch (err) {
    if (err instanceof GeneratorError) throw new HttpError(err.status, err.message);
    throw err;
  }
  const etag = `"${generator.version.replace(/[^\w.:-]/g, '')}-${generator.weights}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Cache-Control', 'no-cache');
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304).end();
    return;
  }
  if (!binary) {
    const { config, weights: chosen, tensors } = generator;
    const manifest: GeneratorManifest = {
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      config,
      weights: chosen,
      tensors,
      data: `generator.bin?weights=${chosen}`,
    };
    return sendJson(req, res, 200, manifest, 'no-cache');
  }
  const data = generator.data;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) bytes.swap32(); // big-endian hosts: send little-endian
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

function staticRoute(ctx: Context, req: IncomingMessage, res: ServerResponse, path: string[]): void {
  let webReal: string | null = null;
  try {
    webReal = realpathSync(ctx.webDir);
  } catch {
    webReal = null;
  }
  const segments = path.length === 0 ? ['index.html'] : path;
  if (webReal == null || (path.length === 0 && !existsSync(join(webReal, 'index.html')))) {
    if (path.length !== 0 && !(path.length === 1 && path[0] === 'index.html'))
      throw new HttpError(404, 'not found (the front end is not built)');
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES['.html'],
      'Content-Security-Policy': CSP,
      'Cache-Control': 'no-cache',
    });
    res.end(req.method === 'HEAD' ? undefined : NOT_BUILT);
    return;
  }
  sendFile(req, res, join(webReal, ...segments), webReal, { cache: 'no-cache' });
}

/** Sends a regular file whose real path lies inside `inside` (a real path); anything else is a 404. */
function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  inside: string,
  options: { cache: string },
): void {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new HttpError(404, 'not found');
  }
  if (!isInside(real, inside) || real === inside) throw new HttpError(404, 'not found');
  let fd: number;
  try {
    fd = openSync(real, 'r');
  } catch {
    throw new HttpError(404, 'not found');
  }
  let handedOver = false;
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new HttpError(404, 'not found');
    const type = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
    const etag = `W/"${stats.size.toString(16)}-${Math.round(stats.mtimeMs).toString(16)}"`;
    const headers: Record<string, string | number> = {
      'Content-Type': type,
      'Cache-Control': options.cache,
      ETag: etag,
      'Last-Modified': stats.mtime.toUTCString(),
    };
    if (type.startsWith('text/html')) headers['Content-Security-Policy'] = CSP;
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers).end();
      return;
    }
    headers['Content-Length'] = stats.size;
    res.writeHead(200, headers);
    if (req.method === 'HEAD' || stats.size === 0) {
      res.end();
      return;
    }
    // Growing files (metrics.jsonl) are sent up to the size measured for Content-Length.
    const stream = createReadStream('', { fd, start: 0, end: stats.size - 1, autoClose: true });
    handedOver = true;
    stream.on('error', () => res.destroy());
    res.on('close', () => stream.destroy());
    stream.pipe(res);
  } finally {
    if (!handedOver) closeSync(fd);
  }
}

/**
 * Server-sent events for a run: `metrics` ({lines, bytes}, id = bytes) whenever complete lines are added to
 * metrics.jsonl, `status` (the run's summary) when its status, samples, checkpoint or evaluation change, and a
 * keep-alive comment every 15 s. The file is polled every 300 ms.
 */
function openEvents(
  ctx: Context,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
  dir: string,
  from: number,
): void {
  if (ctx.streams.size >= MAX_STREAMS)
    throw new HttpError(503, `too many open event streams (${MAX_STREAMS})`, { 'Retry-After': '5' });
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  res.write('retry: 2000\n\n');
  let offset = from;
  let lastStatus = '';
  const send = (event: string, data: unknown, eventId?: number) => {
    res.write(`${eventId == null ? '' : `id: ${eventId}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const tick = () => {
    if (res.writableNeedDrain) return; // a slow reader: wait, do not queue
    if (resolveRun(ctx.rootReal, id) !== dir) {
      stop();
      return;
    }
    const metricsPath = runFile(dir, METRICS_FILE);
    let size = -1;
    try {
      if (metricsPath != null && metricsPath !== 'outside') size = statSync(metricsPath).size;
    } catch {
      size = -1;
    }
    for (let i = 0; size >= 0 && size !== offset && i < 8 && !res.writableNeedDrain; i++) {
      const chunk = readMetrics(metricsPath as string, offset, 1 << 20);
      if (chunk.bytes === offset && !chunk.reset) break; // only a half-written line so far
      offset = chunk.bytes;
      if (chunk.lines.length > 0 || chunk.reset)
        send(
          'metrics',
          { lines: chunk.lines, bytes: chunk.bytes, ...(chunk.reset ? { reset: true } : {}) },
          chunk.bytes,
        );
      if (chunk.reset && chunk.bytes === 0) break;
    }
    const summary = summarizeRun(id, dir);
    const { status, error, samples, hasCheckpoint, hasEma, bestFid, lastEval, epoch, epochs } = summary;
    const signature = JSON.stringify([status, error, samples, hasCheckpoint, hasEma, bestFid, lastEval, epoch, epochs]);
    if (signature !== lastStatus) {
      lastStatus = signature;
      send('status', summary);
    }
  };
  const safeTick = () => {
    try {
      tick();
    } catch {
      // A file replaced between stat and read: the next tick sees it settled.
    }
  };
  const poll = setInterval(safeTick, POLL_MS);
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), KEEP_ALIVE_MS);
  const stop = () => {
    clearInterval(poll);
    clearInterval(keepAlive);
    ctx.streams.delete(stop);
    if (!res.writableEnded) res.end();
  };
  ctx.streams.add(stop);
  res.on('close', stop);
  safeTick();
}

function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown, cache = 'no-store'): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length, 'Cache-Control': cache });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function fail(req: IncomingMessage, res: ServerResponse, err: HttpError): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  for (const [name, value] of Object.entries(err.headers)) res.setHeader(name, value);
  if ((req.url ?? '').startsWith('/api/')) return sendJson(req, res, err.status, { error: err.message });
  const body = Buffer.from(`${err.message}\n`);
  res.writeHead(err.status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
    'Cache-Control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
