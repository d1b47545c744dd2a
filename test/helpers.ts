import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after } from 'node:test';

/** The project root (tests run from dist/test). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const GANTRY = join(ROOT, 'bin', 'gantry.js');

/** A fresh temporary folder, removed when the test file ends. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI in a child process (cwd defaults to a temp folder so runs/ lands there). */
export function gantry(args: string[], cwd: string): CliResult {
  const r = spawnSync(process.execPath, [GANTRY, ...args], { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function gantryAsync(args: string[], cwd: string) {
  return spawn(process.execPath, [GANTRY, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}
