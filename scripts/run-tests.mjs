#!/usr/bin/env node
/**
 * `npm test`'s runner: node's test runner over dist/test/, one file at a time, with one cache folder for the whole
 * suite (GANTRY_TEST_CACHE, read by test/helpers.ts) so that the emoji, decoded once, and the reference statistics,
 * measured once, serve every test file that uses the shared cache. Tests of the cache itself use folders of their
 * own. Extra arguments go to `node --test` (`npm test -- --test-name-pattern=KID`, or test files to run alone).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const cache = mkdtempSync(join(tmpdir(), 'gantry-test-cache-suite-'));
const extra = process.argv.slice(2);
// Test files named on the command line replace the whole suite.
const files = extra.some((a) => a.endsWith('.js') || a.endsWith('/')) ? [] : ['dist/test/'];
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...extra, ...files], {
  stdio: 'inherit',
  env: { ...process.env, GANTRY_TEST_CACHE: cache },
});
rmSync(cache, { recursive: true, force: true });
process.exit(r.status ?? 1);
