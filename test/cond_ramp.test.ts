/**
 * Transitional conditioning (--cond-ramp): the schedule, networks that ignore the class at strength 0 and are the
 * plain conditional ones at strength 1 (every family that conditions), and a run that sets and checkpoints it.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { readCheckpoint } from '../src/io/checkpoint.js';
import { FAMILIES, type FamilyName } from '../src/networks/families.js';
import type { RunMode } from '../src/networks/layers.js';
import type { Network, NetworkSpec } from '../src/networks/network.js';
import { setLabelStrength } from '../src/networks/parts.js';
import { labelStrengthAt } from '../src/train/wiring.js';
import { Rng } from '../src/util/random.js';
import { gantry, tempDir } from './helpers.js';

before(async () => {
  await useBackend('wasm');
});

test('the strength: 0 for the first K thousand images, then linear to 1 over the next K thousand', () => {
  const at = (images: number) => labelStrengthAt(images, 100);
  assert.deepEqual([0, 50_000, 100_000, 150_000, 200_000, 1e7].map(at), [0, 0, 0, 0.5, 1, 1]);
  assert.equal(labelStrengthAt(0, 0), 1, 'no ramp: conditional from the start');
});

const spec = (family: FamilyName, labelRamp: boolean): NetworkSpec => ({
  latentDim: 16,
  imageSize: 32,
  channels: 3,
  numClasses: 4,
  conditioning: 'projection',
  spectralNorm: 'none',
  attention: 0,
  minibatchStd: false,
  init: 'pytorch',
  ...(family === 'dcgan' ? {} : { gWidth: 8, dWidth: 8 }),
  ...(labelRamp ? { labelRamp } : {}),
});

const max = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

test('at strength 0 G and D ignore the class; at 1 they are the plain conditional networks', () => {
  const rng = new Rng(7);
  const modes: RunMode[] = [{ training: false }, { training: true, updateStats: false }];
  for (const family of ['dcgan', 'resnet', 'lightweight', 'stylegan'] as const) {
    const build = (ramp: boolean): [Network, Network] => [
      FAMILIES[family].generator(spec(family, ramp), 1),
      FAMILIES[family].discriminator(spec(family, ramp), 2),
    ];
    const [g, d] = build(true);
    const [plainG, plainD] = build(false);
    // Per-class tables made distinct (conditional BatchNorm starts as plain BatchNorm), the same in both.
    tf.tidy(() => {
      for (const [name, v] of g.store.params) {
        if (/\/(gamma|beta)$/.test(name)) v.assign(tf.add(v, tf.tensor(rng.normals(v.size), v.shape).mul(0.3)));
        plainG.store.params.get(name)!.assign(v);
      }
    });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const z = tf.tensor2d(rng.normals(4 * 16), [4, 16]);
      const x = tf.tensor4d(rng.uniforms(4 * 32 * 32 * 3, -1, 1), [4, 32, 32, 3]);
      const a = tf.tensor1d([0, 1, 2, 3], 'int32');
      const b = tf.tensor1d([3, 2, 0, 1], 'int32');
      for (const mode of modes) {
        setLabelStrength(g.store, 0);
        setLabelStrength(d.store, 0);
        assert.equal(max(g.apply(z, mode, a), g.apply(z, mode, b)), 0, `${family} G at 0 (${mode.training})`);
        assert.equal(max(d.apply(x, mode, a), d.apply(x, mode, b)), 0, `${family} D at 0 (${mode.training})`);
        setLabelStrength(g.store, 1);
        setLabelStrength(d.store, 1);
        assert.ok(max(g.apply(z, mode, a), g.apply(z, mode, b)) > 1e-3, `${family} G at 1 draws by class`);
        assert.ok(max(g.apply(z, mode, a), plainG.apply(z, mode, a)) < 1e-5, `${family} G at 1 is the plain one`);
        assert.ok(max(d.apply(x, mode, a), plainD.apply(x, mode, a)) < 1e-5, `${family} D at 1 is the plain one`);
      }
    });
    assert.equal(tf.memory().numTensors, before, `${family}: no tensors left behind`);
    for (const n of [g, d, plainG, plainD]) n.store.dispose();
  }
});

test('a run with --cond-ramp sets the strength each step and checkpoints it; other conditionings are refused', () => {
  const dir = tempDir();
  const run = join(dir, 'run');
  // 10 steps of 64 a epoch; K = 0.5: unconditional for 500 images, full at 1,000.
  const args = ['train', '--preset', 'cgan', '--limit', '640', '--cond-ramp', '0.5', '--out', run];
  let r = gantry([...args, '--epochs', '1', '--backend', 'wasm'], dir);
  assert.equal(r.status, 0, r.stderr);
  const strength = (name: string) =>
    readCheckpoint(join(run, 'checkpoint.bin')).tensors.get(`${name}/label_strength`)!.data[0];
  // After 10 steps (640 images) the strength for the next step: 640/500 − 1.
  assert.ok(Math.abs(strength('G') - (640 / 500 - 1)) < 1e-6, `G: ${strength('G')}`);
  assert.equal(strength('D'), strength('G'));
  r = gantry(['train', '--resume', run, '--epochs', '2'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(strength('G'), 1);
  r = gantry(['train', '--conditioning', 'acgan', '--cond-ramp', '10', '--dry-run'], dir);
  assert.equal(r.status, 2);
  assert.match(r.stderr.trim(), /^[^\n]*--cond-ramp fades in a projection D's classes[^\n]*not --conditioning acgan$/);
});
