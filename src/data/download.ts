/**
 * `gantry data download`: fetches a standard IDX set into the cache. Each file is streamed to a temporary
 * file while its SHA-256 is computed, checked (the published archive digest, or the digest of its contents
 * for a mirror that recompressed it), and only then renamed into place: an interrupted, truncated or
 * corrupted download never leaves a file that passes as good, and never replaces a good one.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from './errors.js';
import { readMaybeGzip } from './idx.js';
import { defaultCacheDir, IDX_SETS, type IdxFile } from './idx_sets.js';

export interface DownloadOptions {
  /** Base URL the files are fetched from (`${mirror}${file}.gz`); the set's canonical one by default. */
  mirror?: string;
  cacheDir?: string;
  /** Called as bytes arrive: file name, bytes so far, total (null when unknown). */
  progress?: (file: string, received: number, total: number | null) => void;
}

export interface DownloadResult {
  dir: string;
  downloaded: string[];
  alreadyPresent: string[];
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** True when a cached file's contents are the expected ones. */
function verifiedInCache(path: string, file: IdxFile): boolean {
  try {
    return sha256(readMaybeGzip(path)) === file.rawSha256;
  } catch {
    return false;
  }
}

async function fetchTo(url: string, tmp: string, file: IdxFile, progress: DownloadOptions['progress']): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new DataError(
      `cannot download ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`,
    );
  }
  if (!response.ok || response.body == null) throw new DataError(`cannot download ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || null;
  const hash = createHash('sha256');
  const out = createWriteStream(tmp);
  let received = 0;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      received += chunk.length;
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      progress?.(`${file.name}.gz`, received, total);
    }
  } catch (err) {
    throw new DataError(`download of ${url} broke off after ${received} bytes: ${(err as Error).message}`);
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  if (total != null && received !== total) throw new DataError(`${url}: received ${received} of ${total} bytes`);
  if (hash.digest('hex') === file.gzSha256) return;
  // Not the published archive: accept it only if its contents are exactly the published contents.
  let contents: Uint8Array;
  try {
    contents = readMaybeGzip(tmp);
  } catch {
    throw new DataError(`${url}: corrupt archive (its gzip data does not decompress)`);
  }
  if (sha256(contents) !== file.rawSha256)
    throw new DataError(`${url}: checksum mismatch (corrupt or not the published ${file.name})`);
}

/** What `gantry data download NAME` fetches: the full MNIST is the data set `mnist-full`. */
export const DOWNLOADABLE = { mnist: 'mnist-full', 'fashion-mnist': 'fashion-mnist' } as const;

export async function downloadDataset(name: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const setName = DOWNLOADABLE[name as keyof typeof DOWNLOADABLE];
  if (setName == null)
    throw new DataError(`unknown data set '${name}' to download (choose from ${Object.keys(DOWNLOADABLE).join(', ')})`);
  const set = IDX_SETS[setName];
  const dir = join(options.cacheDir ?? defaultCacheDir(), setName);
  const mirror = (options.mirror ?? set.mirror).replace(/\/?$/, '/');
  mkdirSync(dir, { recursive: true });
  const result: DownloadResult = { dir, downloaded: [], alreadyPresent: [] };
  for (const file of set.files) {
    const target = join(dir, `${file.name}.gz`);
    if (existsSync(target) && verifiedInCache(target, file)) {
      result.alreadyPresent.push(target);
      continue;
    }
    const tmp = `${target}.${process.pid}.part`;
    try {
      await fetchTo(`${mirror}${file.name}.gz`, tmp, file, options.progress);
      renameSync(tmp, target);
    } finally {
      rmSync(tmp, { force: true });
    }
    result.downloaded.push(target);
  }
  return result;
}
