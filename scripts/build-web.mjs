#!/usr/bin/env node
/**
 * Builds the studio's front end (web/) into dist/web/, which `gantry studio` serves: type-checks web/ with
 * tsc, bundles web/main.ts with esbuild (ES modules, minified; the playground and TensorFlow.js in a chunk of
 * their own, loaded on demand) into dist/web/assets/, and copies index.html. Run after `tsc -p .`
 * (npm run build does both). `--watch` rebuilds on change (no type-check).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const watch = process.argv.includes('--watch');

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  // An install without dev dependencies (npm ci --omit=dev) has no bundler: the studio's page is then missing,
  // and `gantry studio` says so; everything else works.
  console.error('build-web: esbuild is not installed (dev dependency); skipping the studio front end');
  process.exit(0);
}

if (!watch) {
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'web')],
    { stdio: 'inherit' },
  );
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });
copyFileSync(join(root, 'web', 'index.html'), join(out, 'index.html'));

const options = {
  entryPoints: { main: join(root, 'web', 'main.ts') },
  outdir: join(out, 'assets'),
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: 'linked',
  chunkNames: 'chunk-[hash]',
  // Core, layers and the cpu and WebGL backends: the parts of the full package the networks use (web/tfjs.ts).
  alias: { '@tensorflow/tfjs': join(root, 'web', 'tfjs.ts') },
  legalComments: 'none',
  logLevel: 'warning',
};

if (watch) {
  const context = await esbuild.context(options);
  await context.watch();
  console.error(`build-web: watching web/ → ${out}`);
} else {
  await esbuild.build(options);
  const sizes = readdirSync(join(out, 'assets'))
    .filter((f) => !f.endsWith('.map'))
    .map((f) => `${f} ${(statSync(join(out, 'assets', f)).size / 1024).toFixed(0)} KiB`);
  console.error(`build-web: dist/web/ (${sizes.join(', ')})`);
}
