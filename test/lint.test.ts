import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The project root (tests run from dist/test). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

test('lint: Biome finds src/, web/, examples/, test/, scripts/ and bench/ formatted and lint-clean', {
  timeout: 120_000,
}, () => {
  // The files and rules are biome.json's; warnings fail too. `npm run format` fixes what it can.
  const r = spawnSync(process.execPath, [BIOME, 'ci', '--error-on-warnings', '--colors=off', '--max-diagnostics=20'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
  });
  if (r.error) throw r.error;
  const output = `${r.stdout}${r.stderr}`;
  assert.equal(
    r.status,
    0,
    `biome ci failed (npm run format fixes formatting; the rest needs hands):\n${output.slice(0, 8000)}`,
  );
});
