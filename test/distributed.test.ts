import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { GANTRY, gantry, TEST_CACHE, tempDir } from './helpers.js';

// Data-parallel training over MPI: real mpirun, real processes (Open MPI from scripts/setup-debian.sh).
const dir = tempDir();
const MPI_ENV = {
  ...process.env,
  FORCE_COLOR: '0',
  GANTRY_CACHE: TEST_CACHE,
  OMPI_ALLOW_RUN_AS_ROOT: '1',
  OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1',
};
// 640 digits in batches of 64: 10 steps an epoch.
const SMALL = ['--limit', '640', '--batch-size', '64', '--backend', 'wasm', '--grid-size', '4'];

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `mpirun ARGS` (one or more app contexts separated by ':'), waited for. */
function mpirun(args: string[], cwd = dir, onStart?: (child: ChildProcess) => void): Promise<Run> {
  const started = performance.now();
  const child = spawn('mpirun', args, { cwd, env: MPI_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  onStart?.(child);
  return new Promise((resolve) =>
    child.on('exit', (status) => resolve({ status, stdout, stderr, seconds: (performance.now() - started) / 1000 })),
  );
}

const train = (...args: string[]) => [process.execPath, GANTRY, 'train', ...args];

function losses(run: string): { d: number; g: number | null }[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { d_loss?: number; g_loss?: number | null })
    .filter((m) => m.d_loss != null)
    .map((m) => ({ d: m.d_loss!, g: m.g_loss ?? null }));
}

function weights(run: string): Map<string, Float32Array> {
  const { tensors } = readCheckpoint(join(run, 'checkpoint.bin'));
  return new Map([...tensors].map(([name, t]) => [name, t.data]));
}

test('with --sync-batchnorm, a 2-process step is the 1-process step up to float rounding, and so is the curve', async () => {
  // One step from the same weights: the losses agree to rounding, and every weight within 1e-4 but those whose
  // gradient is zero up to rounding (a bias before BatchNorm), which Adam moves by up to ±lr on the rounding alone.
  const [oneStep, twoStep] = [join(dir, 'one-step'), join(dir, 'two-step')];
  const first = ['--limit', '64', '--batch-size', '64', '--backend', 'wasm', '--grid-size', '4', '--epochs', '1'];
  assert.equal(gantry(['train', ...first, '--out', oneStep], dir).status, 0);
  const r = await mpirun(['-np', '2', ...train(...first, '--sync-batchnorm', '--out', twoStep)]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /data-parallel over 2 processes \(Open MPI/);
  const [l1, l2] = [losses(oneStep)[0], losses(twoStep)[0]];
  assert.ok(
    Math.abs(l1.d - l2.d) < 1e-6 && Math.abs(l1.g! - l2.g!) < 1e-6,
    `${JSON.stringify(l1)} vs ${JSON.stringify(l2)}`,
  );
  const [w1, w2] = [weights(oneStep), weights(twoStep)];
  let compared = 0;
  for (const [name, values] of w1) {
    const match = /^([GD])\/(?!adam)(.*)$/.exec(name);
    if (match == null || /running_/.test(name)) continue;
    const moment = w1.get(`${match[1]}/adam.m/${match[2]}`)!;
    const other = w2.get(name)!;
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(moment[i]) < 1e-7) continue; // gradient at rounding level
      assert.ok(Math.abs(values[i] - other[i]) < 1e-4, `${name}[${i}]: ${values[i]} vs ${other[i]}`);
      compared++;
    }
  }
  assert.ok(compared > 800_000, `compared ${compared} weights`);

  // 10 steps: rounding grows with the GAN's dynamics (about 5× a step here: one process on two backends differs by
  // 1e-3 within 8 steps, by 2e-2 after 20; PyTorch in float32 with only each batch's order changed, by 4e-3 to
  // 1e-2 after 20: scripts/rounding_divergence.py, docs/BENCHMARKS.md), yet the curves stay together.
  const [one, two] = [join(dir, 'one'), join(dir, 'two')];
  const twenty = [...SMALL, '--epochs', '1'];
  assert.equal(gantry(['train', ...twenty, '--out', one], dir).status, 0);
  const r2 = await mpirun(['-np', '2', ...train(...twenty, '--sync-batchnorm', '--out', two)]);
  assert.equal(r2.status, 0, r2.stderr);
  const [a, b] = [losses(one), losses(two)];
  assert.equal(b.length, 10, 'rank 0 alone wrote the step lines');
  for (let i = 0; i < a.length; i++) {
    const tolerance = i < 3 ? 1e-4 : 3e-2;
    assert.ok(Math.abs(a[i].d - b[i].d) < tolerance, `step ${i + 1}: D loss ${a[i].d} vs ${b[i].d}`);
    assert.ok(Math.abs(a[i].g! - b[i].g!) < tolerance, `step ${i + 1}: G loss ${a[i].g} vs ${b[i].g}`);
  }
});

test('without it, both processes hold identical weights after every step; rank 0 alone writes; a resumed run continues on another count', async () => {
  const run = join(dir, 'per-process');
  const r = await mpirun(['-np', '2', ...train(...SMALL, '--epochs', '1', '--verify-every', '1', '--out', run)]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /the 2 processes' weights agreed at 11 check\(s\)/); // 10 steps and the epoch's end
  assert.equal(losses(run).length, 10);
  assert.deepEqual(readdirSync(run).sort(), [
    'checkpoint.bin',
    'config.json',
    'generator',
    'metrics.jsonl',
    'samples',
    'status.json',
  ]);
  const status = JSON.parse(readFileSync(join(run, 'status.json'), 'utf8')) as { state: string };
  assert.equal(status.state, 'finished');
  // The same run continued by one process for a second epoch.
  const more = gantry(['train', '--resume', run, '--epochs', '2'], dir);
  assert.equal(more.status, 0, more.stderr);
  assert.equal(losses(run).length, 20);
});

test('processes whose weights part ways stop with a clear error', async () => {
  // Two app contexts: rank 1 is given another learning rate, so its update differs.
  const run = join(dir, 'diverging');
  const r = await mpirun([
    '-np',
    '1',
    ...train(...SMALL, '--epochs', '1', '--verify-every', '2', '--out', run),
    ':',
    '-np',
    '1',
    ...train(...SMALL, '--epochs', '1', '--verify-every', '2', '--lr', '0.001', '--out', run),
  ]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /the processes' weights differ after step 2/);
});

test('a rank whose data fails stops the whole job within 10 s with its error', async () => {
  const good = join(dir, 'good');
  mkdirSync(good);
  const broken = join(dir, 'broken');
  mkdirSync(broken);
  writeFileSync(join(broken, 'not-an-image.png'), 'text');
  // Each rank reads `images/` relative to its own working folder: a folder of digits for rank 0, junk for rank 1.
  mkdirSync(join(good, 'images'));
  execFileSync(process.execPath, [GANTRY, 'data', 'info', 'mnist', '--grid', join(good, 'images', 'a.png')], {
    env: MPI_ENV,
  });
  for (const n of ['b', 'c', 'd'])
    writeFileSync(join(good, 'images', `${n}.png`), readFileSync(join(good, 'images', 'a.png')));
  mkdirSync(join(broken, 'images'));
  writeFileSync(join(broken, 'images', 'a.png'), 'not a picture');
  const args = train(
    '--data',
    'images',
    '--preset',
    'dcgan',
    '--strict',
    '--resolution',
    '28',
    '--channels',
    '1',
    '--batch-size',
    '2',
    '--out',
    join(dir, 'failing'),
  );
  const r = await mpirun(['-np', '1', '-wdir', good, ...args, ':', '-np', '1', '-wdir', broken, ...args]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /gantry train: error: .*a\.png/);
  assert.ok(r.seconds < 10 + 5, `stopped after ${r.seconds.toFixed(1)} s (start-up included)`);
});

test('a rank killed with kill -9 stops the job; --resume then ends with the weights of an uninterrupted run', async () => {
  const args = [...SMALL, '--epochs', '1', '--checkpoint-every', '3'];
  const straight = join(dir, 'straight');
  const s = await mpirun(['-np', '2', ...train(...args, '--out', straight)]);
  assert.equal(s.status, 0, s.stderr);

  const killed = join(dir, 'killed');
  const started = performance.now();
  let killedAt = 0;
  const r = await mpirun(['-np', '2', ...train(...args, '--out', killed)], dir, (child) => {
    const poll = setInterval(() => {
      const metrics = join(killed, 'metrics.jsonl');
      if (!existsSync(metrics) || readFileSync(metrics, 'utf8').trim().split('\n').length < 5) return;
      clearInterval(poll);
      // The two ranks are mpirun's children; rank 0's pid is in status.json.
      const rank0 = (JSON.parse(readFileSync(join(killed, 'status.json'), 'utf8')) as { pid: number }).pid;
      const ranks = execFileSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map(Number);
      const rank1 = ranks.find((p) => p !== rank0)!;
      process.kill(rank1, 'SIGKILL');
      killedAt = performance.now();
    }, 50);
  });
  assert.ok(killedAt > 0, 'rank 1 was killed');
  assert.notEqual(r.status, 0);
  assert.ok((performance.now() - killedAt) / 1000 < 10, 'the job stopped within 10 s of the kill');
  assert.ok(performance.now() - started > 0);

  const resumed = await mpirun(['-np', '2', ...train('--resume', killed)]);
  assert.equal(resumed.status, 0, resumed.stderr);
  const [a, b] = [weights(straight), weights(killed)];
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [name, values] of a) assert.deepEqual(b.get(name), values, name);
  assert.deepEqual(losses(killed), losses(straight));
});

test('--processes starts mpirun itself; without Open MPI it says so in one line', () => {
  const run = join(dir, 'shortcut');
  const r = gantry(['train', ...SMALL, '--epochs', '1', '--processes', '2', '--out', run], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /data-parallel over 2 processes/);
  assert.equal(losses(run).length, 10);
  // A machine without mpirun on its PATH.
  const bare = spawnSync(process.execPath, [GANTRY, 'train', '--processes', '2', '--out', join(dir, 'none')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...MPI_ENV, PATH: '/nonexistent' },
  });
  assert.equal(bare.status, 2);
  assert.equal(bare.stderr.trim().split('\n').length, 1, bare.stderr);
  assert.match(bare.stderr, /--processes needs Open MPI's mpirun \(apt-get install openmpi-bin libopenmpi-dev/);
});
