import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resolveConfig } from '../src/config.js';
import { train } from '../src/train/loop.js';
import { ROOT, tempDir } from './helpers.js';

interface Trace {
  losses: { d_loss: number; g_loss: number }[];
}

test('the default run loses exactly what it lost before the loop became plug-ins (first 20 steps, wasm)', async () => {
  const reference = JSON.parse(
    readFileSync(join(ROOT, 'test', 'fixtures', 'reference-losses-wasm.json'), 'utf8'),
  ) as Trace;
  const runDir = join(tempDir(), 'default');
  let steps = 0;
  const result = await train({ runDir, config: resolveConfig({ backend: 'wasm' }), shouldStop: () => ++steps === 20 });
  assert.equal(result.globalStep, 20);
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  const losses = lines
    .map((l) => JSON.parse(l) as { d_loss: number; g_loss: number })
    .map(({ d_loss, g_loss }) => ({ d_loss, g_loss }));
  assert.deepEqual(losses, reference.losses);
});
