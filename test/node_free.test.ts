import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT, tempDir } from './helpers.js';

/** What loading a module pulls in: every ES module URL resolved, every CommonJS module and every shared object. */
function loaded(modules: string[]): string[] {
  const dir = tempDir();
  const log = join(dir, 'resolved.txt');
  const hooks = join(dir, 'hooks.mjs');
  // Resolve hooks run off the main thread: they append each resolved URL to a file.
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + '\\n');
  return result;
}
`,
  );
  writeFileSync(log, '');
  const imports = modules.map((m) => `await import(${JSON.stringify(pathToFileURL(join(ROOT, m)).href)});`).join('\n');
  const script = `import { register, createRequire } from 'node:module';
register(${JSON.stringify(pathToFileURL(hooks).href)});
${imports}
const require = createRequire(import.meta.url);
const libraries = process.report.getReport().sharedObjects;
console.log(JSON.stringify([...Object.keys(require.cache), ...libraries]));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  return [...readFileSync(log, 'utf8').trim().split('\n'), ...(JSON.parse(r.stdout) as string[])];
}

const NODE_ONLY = [/tfjs-backend-wasm/, /onnxruntime/, /sharp/, /gantry_dnnl|\.node$/];

test("the studio's checkpoint reader, gantry/web and the Node-free core load no wasm backend, ONNX Runtime, sharp or oneDNN addon", () => {
  const files = loaded([
    'dist/src/studio/checkpoints.js',
    'dist/src/config.js',
    'dist/src/networks/generate.js',
    'dist/src/browser/index.js',
  ]);
  assert.ok(
    files.some((f) => f.includes('dist/src/config.js')),
    'the probe sees what loads',
  );
  for (const pattern of NODE_ONLY) {
    assert.deepEqual(
      files.filter((f) => pattern.test(f)),
      [],
      `${pattern} is not loaded`,
    );
  }
});

test('the probe catches them: the training loop loads the wasm backend and sharp', () => {
  const files = loaded(['dist/src/train/loop.js']);
  assert.ok(
    files.some((f) => /tfjs-backend-wasm/.test(f)),
    'wasm backend seen',
  );
  assert.ok(
    files.some((f) => /sharp/.test(f)),
    'sharp seen',
  );
});
