import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { readCheckpoint } from '../src/io/checkpoint.js';
import type { TrainState } from '../src/train/state.js';
import { gantry, gantryAsync, gantryRun, tempDir } from './helpers.js';

const dir = tempDir();
const run = join(dir, 'run');

function assertUserError(r: { status: number | null; stderr: string; stdout: string }, pattern: RegExp): void {
  assert.equal(r.status, 2, `exit code 2 expected, got ${r.status}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line expected on stderr, got:\n${r.stderr}`);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}

test('train logs the reference format and writes a complete run folder', () => {
  const r = gantry(
    ['train', '--epochs', '2', '--limit', '320', '--batch-size', '32', '--log-every', '4', '--out', run],
    dir,
  );
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  // 10 steps an epoch: lines at steps 4, 8 and the last step 10, for each of 2 epochs.
  assert.equal(lines.length, 6, r.stdout);
  const pattern = /^Epoch \[(\d)\/2\], Step \[(\d+)\/10\], D_loss: \d+\.\d{4}, G_loss: \d+\.\d{4}$/;
  assert.deepEqual(
    lines.map((l) => {
      const m = pattern.exec(l);
      assert.ok(m, l);
      return `${m[1]}:${m[2]}`;
    }),
    ['1:4', '1:8', '1:10', '2:4', '2:8', '2:10'],
  );
  for (const f of [
    'config.json',
    'metrics.jsonl',
    'checkpoint.bin',
    'generator/model.json',
    'generator/weights.bin',
    'samples/epoch-001.png',
    'samples/epoch-002.png',
  ]) {
    assert.ok(existsSync(join(run, f)), `${f} written`);
  }
  const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  assert.equal(metrics.length, 20);
  assert.deepEqual(
    metrics.map((m) => m.global_step),
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  for (const m of metrics) assert.ok(Number.isFinite(m.d_loss) && Number.isFinite(m.g_loss) && m.step_ms > 0);
  const config = JSON.parse(readFileSync(join(run, 'config.json'), 'utf8'));
  assert.equal(config.batchSize, 32);
  assert.equal(config.limit, 320);
  assert.equal(readFileSync(join(run, 'samples/epoch-002.png')).subarray(1, 4).toString(), 'PNG');
});

test('sample gives byte-identical files for the same seed and different ones for another', () => {
  const a = join(dir, 'a'),
    b = join(dir, 'b'),
    c = join(dir, 'c');
  for (const [out, seed] of [
    [a, '5'],
    [b, '5'],
    [c, '6'],
  ]) {
    const r = gantry(['sample', '--run', run, '--count', '6', '--seed', seed, '--out', out], dir);
    assert.equal(r.status, 0, r.stderr);
  }
  const files = readdirSync(a).sort();
  assert.deepEqual(files, ['0000.png', '0001.png', '0002.png', '0003.png', '0004.png', '0005.png']);
  for (const f of files) {
    assert.ok(readFileSync(join(a, f)).equals(readFileSync(join(b, f))), `${f} identical for the same seed`);
    assert.ok(!readFileSync(join(a, f)).equals(readFileSync(join(c, f))), `${f} differs for another seed`);
  }
  const r = gantry(['sample', '--run', run, '--count', '9', '--grid', join(dir, 'grid.png')], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(existsSync(join(dir, 'grid.png')));
});

test('sample --scale k enlarges each image k times, every pixel a k×k block of the same bytes', async () => {
  const small = join(dir, 'scale1'),
    big = join(dir, 'scale3');
  for (const [out, k] of [
    [small, '1'],
    [big, '3'],
  ]) {
    const r = gantry(['sample', '--run', run, '--count', '2', '--seed', '4', '--scale', k, '--out', out], dir);
    assert.equal(r.status, 0, r.stderr);
  }
  for (const f of ['0000.png', '0001.png']) {
    const a = await sharp(join(small, f)).raw().toBuffer({ resolveWithObject: true });
    const b = await sharp(join(big, f)).raw().toBuffer({ resolveWithObject: true });
    assert.deepEqual(
      [b.info.width, b.info.height, b.info.channels],
      [3 * a.info.width, 3 * a.info.height, a.info.channels],
    );
    const c = a.info.channels;
    for (let y = 0; y < b.info.height; y++)
      for (let x = 0; x < b.info.width; x++)
        for (let ch = 0; ch < c; ch++)
          assert.equal(
            b.data[(y * b.info.width + x) * c + ch],
            a.data[(Math.floor(y / 3) * a.info.width + Math.floor(x / 3)) * c + ch],
          );
  }
  const grid = join(dir, 'grid3.png');
  assert.equal(gantry(['sample', '--run', run, '--count', '4', '--scale', '3', '--grid', grid], dir).status, 0);
  const meta = await sharp(grid).metadata();
  // 2 columns of 84-px images with 2-px gaps.
  assert.deepEqual([meta.width, meta.height], [2 * (84 + 2) + 2, 2 * (84 + 2) + 2]);
  assertUserError(gantry(['sample', '--run', run, '--scale', '0'], dir), /--scale must be between 1 and 16/);
  assertUserError(
    gantry(['sample', '--run', run, '--scale', '2', '--interpolate', '1,2', '--out', join(dir, 'w.gif')], dir),
    /--scale enlarges --out and --grid images, not --interpolate/,
  );
});

test('bad input is one line on stderr, exit code 2, no stack trace', () => {
  assertUserError(gantry(['train', '--epochs', 'three'], dir), /--epochs must be a number, got 'three'/);
  assertUserError(gantry(['train', '--epochs', '0'], dir), /--epochs must be between 1 and/);
  assertUserError(gantry(['train', '--batch-size', '1.5'], dir), /--batch-size must be an integer/);
  assertUserError(gantry(['train', '--frobnicate'], dir), /unknown option --frobnicate/);
  assertUserError(
    gantry(['train', '--backend', 'gpu'], dir),
    /--backend must be one of auto, native, wasm, cpu, tensorflow/,
  );
  assertUserError(gantry(['train', '--epochs'], dir), /--epochs needs a value/);
  assertUserError(gantry(['train', '--out', run], dir), /is not empty; continue it with --resume/);
  assertUserError(gantry(['train', '--resume', join(dir, 'nowhere')], dir), /not a gantry run folder/);
  assertUserError(gantry(['train', '--resume', run, '--lr', '0.1'], dir), /--lr cannot be changed when resuming/);
  assertUserError(gantry(['sample', '--run', dir], dir), /not a gantry run folder/);
  assertUserError(gantry(['sample'], dir), /--run <dir> is required/);
  assertUserError(gantry(['sample', '--run', run, '--count', '-1'], dir), /--count must be between 1/);
  assertUserError(gantry(['explode'], dir), /unknown command 'explode'/);
  writeFileSync(join(dir, 'a-file'), 'x');
  assertUserError(
    gantry(['sample', '--run', run, '--count', '1', '--out', join(dir, 'a-file', 'sub')], dir),
    /ENOTDIR|EEXIST/,
  );
});

test('a corrupt checkpoint is refused and left as it was', () => {
  const broken = join(dir, 'broken');
  const r0 = gantry(['train', '--epochs', '1', '--limit', '64', '--batch-size', '32', '--out', broken], dir);
  assert.equal(r0.status, 0, r0.stderr);
  // gantry export's own mistakes, on the intact run first.
  assertUserError(
    gantry(['export', '--run', broken, '--out', join(dir, 'web'), '--weights', 'ema'], dir),
    /keeps no EMA of G/,
  );
  assertUserError(gantry(['export', '--run', broken], dir), /--out <dir> is required/);
  assertUserError(
    gantry(['export', '--run', join(dir, 'nowhere'), '--out', join(dir, 'web')], dir),
    /not a gantry run folder/,
  );
  const path = join(broken, 'checkpoint.bin');
  const bytes = readFileSync(path);
  const flipped = Buffer.from(bytes);
  flipped[flipped.length - 10] ^= 0xff;
  writeFileSync(path, flipped);
  assertUserError(gantry(['sample', '--run', broken], dir), /checkpoint .* is corrupt: checksum mismatch/);
  assertUserError(gantry(['train', '--resume', broken, '--epochs', '2'], dir), /is corrupt: checksum mismatch/);
  assertUserError(gantry(['export', '--run', broken, '--out', join(dir, 'web')], dir), /is corrupt: checksum mismatch/);
  assert.ok(readFileSync(path).equals(flipped), 'the refused checkpoint is untouched');
  assert.ok(!existsSync(join(dir, 'web')), 'a refused export writes nothing');
  writeFileSync(path, bytes.subarray(0, bytes.length - 100));
  assertUserError(gantry(['sample', '--run', broken], dir), /is corrupt: expected \d+ data bytes/);
  writeFileSync(path, 'hello');
  assertUserError(gantry(['sample', '--run', broken], dir), /is corrupt: not a gantry checkpoint/);
});

test('Ctrl-C stops after the current step, saves a checkpoint and says how to resume', async () => {
  const run2 = join(dir, 'interrupted');
  const child = gantryAsync(['train', '--limit', '640', '--batch-size', '32', '--epochs', '3', '--out', run2], dir);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const metrics = join(run2, 'metrics.jsonl');
  await new Promise<void>((resolveWait) => {
    const poll = setInterval(() => {
      if (existsSync(metrics) && readFileSync(metrics, 'utf8').split('\n').length > 3) {
        clearInterval(poll);
        child.kill('SIGINT');
        resolveWait();
      }
    }, 20);
  });
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  assert.equal(code, 130, stderr);
  assert.match(stderr, /continue with: gantry train --resume /);
  const { state } = readCheckpoint<TrainState>(join(run2, 'checkpoint.bin'));
  const lines = readFileSync(metrics, 'utf8').trim().split('\n').length;
  assert.equal(state.globalStep, lines, 'the checkpoint is at the last logged step');
  assert.ok(state.globalStep >= 3 && state.globalStep < 60);
});

test('every command has --help with examples', async () => {
  const commands = [
    'train',
    'sample',
    'eval',
    'studio',
    'data',
    'export',
    'upscale',
    'colorize',
    'inpaint',
    'translate',
  ];
  const runs = await Promise.all(
    [['--help'], ...commands.map((c) => [c, '--help'])].map((args) => gantryRun(args, dir)),
  );
  for (const r of runs) {
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: gantry/);
    assert.match(r.stdout, /Examples:\n {2}gantry /);
  }
});
