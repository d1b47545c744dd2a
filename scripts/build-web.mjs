#!/usr/bin/env node
/**
 * Builds the studio's front end (web/) into dist/web/, which `gantry studio` serves: type-checks web/ with
 * tsc, bundles web/main.ts with esbuild (ES modules, minified; the playground and TensorFlow.js in a chunk of
 * their own, loaded on demand) into dist/web/assets/, and copies index.html. Also the gantry/web example page
 * (examples/ → dist/examples/: index.html, app.js and tfjs's wasm files; any static server serves it). Run after
 * `tsc -p .` (npm run build does both). `--watch` rebuilds the studio on change (no type-check).
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
  for (const project of ['web', 'examples']) {
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, project)],
      { stdio: 'inherit' },
    );
    if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  }
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

  // The example page: what an app does with gantry/web, bundled as an app would bundle it.
  const examples = join(root, 'dist', 'examples');
  rmSync(examples, { recursive: true, force: true });
  mkdirSync(join(examples, 'tfjs-wasm'), { recursive: true });
  copyFileSync(join(root, 'examples', 'index.html'), join(examples, 'index.html'));
  const wasmDist = join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist');
  for (const f of readdirSync(wasmDist).filter((f) => f.endsWith('.wasm')))
    copyFileSync(join(wasmDist, f), join(examples, 'tfjs-wasm', f));
  await esbuild.build({
    ...options,
    entryPoints: { app: join(root, 'examples', 'app.ts') },
    outdir: examples,
    splitting: false,
    alias: { ...options.alias, 'gantry/web': join(root, 'src', 'browser', 'index.ts') },
  });
  const app = statSync(join(examples, 'app.js')).size;
  console.error(`build-web: dist/examples/ (app.js ${(app / 1024).toFixed(0)} KiB)`);
}
