import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// The layering and cycle rules of src/ live in .dependency-cruiser.cjs; this runs them inside `npm test`.

/** The project root (tests run from dist/test). */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEPCRUISE = join(ROOT, 'node_modules', '.bin', 'depcruise');
const FIXTURE = join(ROOT, 'src', 'train', 'architecture_fixture.ts');
// @ts-nocheck: a fixture left behind by a killed run must not fail `tsc -p .` once cli/options.ts stops exporting it.
const FIXTURE_SOURCE =
  "// @ts-nocheck\nimport { UsageError } from '../cli/options.js';\nexport const fixture = UsageError;\n";

// A fixture left by an earlier run that was killed before its `finally`.
rmSync(FIXTURE, { force: true });

/** Runs dependency-cruiser's CLI over src/ with the project's rules (the `err` reporter: one line a violation). */
function depcruise(): { status: number | null; output: string } {
  const r = spawnSync(
    process.execPath,
    [DEPCRUISE, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'],
    {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    },
  );
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

test('architecture: src/ has no import cycles, no upward imports between layers, and a node-free core', {
  timeout: 120_000,
}, () => {
  const r = depcruise();
  // The exit code is the number of violations (so 256 of them would read as 0): the summary line decides too.
  assert.ok(
    r.status === 0 && /no dependency violations found/.test(r.output),
    `dependency-cruiser (exit ${r.status}):\n${r.output}`,
  );
});

test('architecture: a file under src/train/ importing src/cli/ fails the check', { timeout: 120_000 }, () => {
  writeFileSync(FIXTURE, FIXTURE_SOURCE);
  try {
    const r = depcruise();
    assert.notEqual(r.status, 0, `dependency-cruiser passed with the fixture:\n${r.output}`);
    assert.match(
      r.output,
      /lower-layer-imports-cli-or-studio: src\/train\/architecture_fixture\.ts → src\/cli\/options\.ts/,
      r.output,
    );
  } finally {
    rmSync(FIXTURE, { force: true });
  }
});
