import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { resolveConfig } from '../src/config.js';
import { createGan, disposeGan, type Gan, ganVariables } from '../src/train/gan.js';
import { type GanLosses, type GanModels, type StepLosses, trainStep } from '../src/train/step.js';
import { Rng } from '../src/util/random.js';

const config = resolveConfig({ backend: 'wasm', batchSize: 16 });

const TRAIN = { training: true } as const;

/** The same step with G run twice (once outside any tape): a reference for trainStep. */
function trainStepTwoPass(models: GanModels, losses: GanLosses, real: tf.Tensor, z: tf.Tensor): StepLosses {
  const { generator: g, discriminator: d } = models;
  const dVars = [...d.store.params.values()];
  const gVars = [...g.store.params.values()];
  const fake = g.apply(z, TRAIN);
  const dLoss = models.dOptimizer.minimize(
    () => losses.discriminator(d.apply(real, TRAIN), d.apply(fake, TRAIN)),
    true,
    dVars,
  )!;
  fake.dispose();
  const gLoss = models.gOptimizer.minimize(
    () => losses.generator(d.apply(g.apply(z, { training: true, updateStats: false }), TRAIN)),
    true,
    gVars,
  )!;
  const result = { dLoss: dLoss.dataSync()[0], gLoss: gLoss.dataSync()[0] };
  tf.dispose([dLoss, gLoss]);
  return result;
}

function runSteps(step: typeof trainStep, steps: number): { gan: Gan; losses: number[][]; tensorCounts: number[] } {
  const gan = createGan(config);
  const rng = new Rng(9);
  const real = tf.tensor4d(rng.uniforms(16 * 28 * 28, -1, 1), [16, 28, 28, 1]);
  const losses: number[][] = [];
  const tensorCounts: number[] = [];
  for (let i = 0; i < steps; i++) {
    const z = tf.tensor2d(rng.normals(16 * 100), [16, 100]);
    const l = step(gan, gan.losses, real, z);
    z.dispose();
    losses.push([l.dLoss, l.gLoss]);
    tensorCounts.push(tf.memory().numTensors);
  }
  real.dispose();
  return { gan, losses, tensorCounts };
}

test('the one-pass training step equals the reference two-pass step exactly, and leaks nothing', async () => {
  await useBackend('wasm');
  const a = runSteps(trainStep, 4);
  const b = runSteps(trainStepTwoPass, 4);
  assert.deepEqual(a.losses, b.losses);
  for (const l of a.losses.flat()) assert.ok(Number.isFinite(l) && l > 0);
  const va = ganVariables(a.gan),
    vb = ganVariables(b.gan);
  for (const [name, v] of va) assert.deepEqual(Array.from(v.dataSync()), Array.from(vb.get(name)!.dataSync()), name);
  // Tensor count is flat from the second step on (the first creates Adam's moments).
  assert.deepEqual(a.tensorCounts.slice(1), new Array(3).fill(a.tensorCounts[1]));
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const ids = backend.numDataIds();
  disposeGan(a.gan);
  disposeGan(b.gan);
  assert.ok(backend.numDataIds() < ids);
});

test('training changes both networks and moves the losses', async () => {
  await useBackend('wasm');
  const before = createGan(config);
  const initial = new Map([...ganVariables(before)].map(([k, v]) => [k, Array.from(v.dataSync())]));
  disposeGan(before);
  const { gan } = runSteps(trainStep, 2);
  for (const prefix of ['G/', 'D/']) {
    const changed = [...ganVariables(gan)].filter(
      ([k, v]) =>
        k.startsWith(prefix) &&
        !k.includes('adam') &&
        Array.from(v.dataSync()).some((x, i) => x !== initial.get(k)![i]),
    );
    assert.ok(changed.length > 5, `${prefix} parameters change`);
  }
  disposeGan(gan);
});
