/**
 * Which files the studio may read: safe names, and real paths that stay inside a run folder (a symbolic link that
 * leads out of it is never followed).
 */
import { realpathSync, type Stats, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/** A name of a file or folder the studio will look at: no dot files, separators or control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this pattern refuses
const SAFE_NAME = /^[^./\\\x00-\x1f\x7f][^/\\\x00-\x1f\x7f]*$/;
const SAMPLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*\.png$/;

export const isSafeName = (name: string): boolean => SAFE_NAME.test(name) && name !== '..' && name.length <= 255;
export const isSampleName = (name: string): boolean => SAMPLE_NAME.test(name);

/** True when `path` is `root` or inside it (both absolute and normalised). */
export function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

export function statOrNull(path: string): Stats | null {
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
