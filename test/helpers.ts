import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * CLI runs started by tests cache decoded image folders and reference statistics here, not in the user's cache:
 * the suite's folder when `npm test` runs (scripts/run-tests.mjs; it removes it at the end), else one per file.
 */
const SUITE_CACHE = process.env.GANTRY_TEST_CACHE;
export const TEST_CACHE = SUITE_CACHE ?? mkdtempSync(join(tmpdir(), 'gantry-test-cache-'));
if (SUITE_CACHE == null) after(() => rmSync(TEST_CACHE, { recursive: true, force: true }));
const CLI_ENV = { ...process.env, FORCE_COLOR: '0', GANTRY_CACHE: TEST_CACHE };

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
  const r = spawnSync(process.execPath, [GANTRY, ...args], { cwd, encoding: 'utf8', env: CLI_ENV });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function gantryAsync(args: string[], cwd: string) {
  return spawn(process.execPath, [GANTRY, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: CLI_ENV });
}

/**
 * Starts `gantry train` (args writing into `run`), kills it with SIGKILL as soon as its first checkpoint exists, and
 * waits for it to exit; rejects if training ends first. `stepOf` reads the checkpoint's global step.
 */
export async function killAtFirstCheckpoint(
  args: string[],
  cwd: string,
  run: string,
  stepOf: (checkpoint: string) => number,
): Promise<number> {
  const child = gantryAsync(args, cwd);
  const killedAt = await new Promise<number>((resolveKill, reject) => {
    const poll = setInterval(() => {
      if (existsSync(join(run, 'checkpoint.bin'))) {
        clearInterval(poll);
        child.kill('SIGKILL');
        resolveKill(stepOf(join(run, 'checkpoint.bin')));
      }
    }, 5);
    child.on('exit', () => {
      clearInterval(poll);
      reject(new Error('training finished before it could be killed'));
    });
  });
  await new Promise((r) => child.on('exit', r));
  return killedAt;
}

/**
 * A folder of real pictures for tests: bundled MNIST digits, tinted a colour per class, written as PNG,
 * JPEG and WebP at mixed sizes (some non-square) into class subfolders `digit-K/`.
 */
export async function makeDigitFolder(dir: string, count: number, classes = 3): Promise<void> {
  const { default: sharp } = await import('sharp');
  const { loadBundledMnist } = await import('../src/data/mnist.js');
  const { mkdirSync } = await import('node:fs');
  const mnist = loadBundledMnist();
  const tints = [
    [255, 80, 40],
    [40, 200, 90],
    [60, 120, 255],
    [230, 200, 40],
  ];
  const formats = ['png', 'jpg', 'webp'] as const;
  const sizes = [
    [28, 28],
    [40, 40],
    [48, 36],
    [30, 44],
  ];
  let written = 0;
  for (let i = 0; written < count; i++) {
    const label = mnist.labels![i];
    if (label >= classes) continue;
    const rgb = Buffer.alloc(28 * 28 * 3);
    for (let p = 0; p < 784; p++)
      for (let c = 0; c < 3; c++)
        rgb[p * 3 + c] = Math.round((mnist.images[i * 784 + p] * tints[label % tints.length][c]) / 255);
    const [w, h] = sizes[written % sizes.length];
    const format = formats[written % formats.length];
    const sub = join(dir, `digit-${label}`);
    mkdirSync(sub, { recursive: true });
    await sharp(rgb, { raw: { width: 28, height: 28, channels: 3 } })
      .resize(w, h, { fit: 'fill' })
      .toFormat(format)
      .toFile(join(sub, `${String(written).padStart(4, '0')}.${format}`));
    written++;
  }
}

/** Runs the CLI without blocking this process's event loop (needed when the test serves it over HTTP). */
export function gantryRun(args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [GANTRY, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: CLI_ENV });
    let stdout = '',
      stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => resolveRun({ status, stdout, stderr }));
  });
}
