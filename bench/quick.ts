import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { ARCHITECTURES } from '../src/networks/network.js';
import { Adam } from '../src/train/adam.js';
import { trainStep } from '../src/train/step.js';
import { bceDiscriminatorLoss, nonSaturatingGeneratorLoss } from '../src/losses.js';
import { Rng } from '../src/util/random.js';
await useBackend((process.argv[2] ?? 'wasm') as 'wasm');
const spec = { latentDim: 100, imageSize: 28, channels: 1 };
const g = ARCHITECTURES.dcgan.generator(spec, 1), d = ARCHITECTURES.dcgan.discriminator(spec, 2);
const opt = { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 };
const models = { generator: g, discriminator: d, gOptimizer: new Adam(opt), dOptimizer: new Adam(opt) };
const losses = { discriminator: bceDiscriminatorLoss, generator: nonSaturatingGeneratorLoss };
const rng = new Rng(3);
const real = tf.tensor4d(rng.uniforms(64 * 784, -1, 1), [64, 28, 28, 1]);
const step = () => { const z = tf.tensor2d(rng.normals(6400), [64, 100]); const r = trainStep(models, losses, real, z); z.dispose(); return r; };
for (let i = 0; i < 3; i++) step();
const n0 = tf.memory().numTensors;
const steps = Number(process.argv[3] ?? 10);
const times: number[] = [];
for (let i = 0; i < steps; i++) { const t = performance.now(); step(); times.push(performance.now() - t); }
times.sort((a, b) => a - b);
const ms = times[Math.floor(steps / 2)];
console.log(`step ${ms.toFixed(1)} ms, ${(64000 / ms).toFixed(1)} img/s, tensors ${n0} -> ${tf.memory().numTensors}`);
if (process.argv[4] === 'profile') {
  const z = tf.tensor2d(rng.normals(6400), [64, 100]);
  const prof = await tf.profile(() => { trainStep(models, losses, real, z); });
  const by = new Map<string, number>();
  for (const k of prof.kernels) by.set(k.name, (by.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  console.log([...by].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${k} ${v.toFixed(1)}`).join('\n'));
  console.log('kernels', prof.kernels.length, 'total', [...by.values()].reduce((a, b) => a + b, 0).toFixed(1));
}
if (process.argv[4] === 'detail') {
  const z = tf.tensor2d(rng.normals(6400), [64, 100]);
  const prof = await tf.profile(() => { trainStep(models, losses, real, z); });
  for (const k of prof.kernels) if ((k.kernelTimeMs as number) > 1.5) console.log(k.name, (k.kernelTimeMs as number).toFixed(1), JSON.stringify(k.inputShapes), JSON.stringify(k.outputShapes));
}
if (process.argv[4] === 'counts') {
  const z = tf.tensor2d(rng.normals(6400), [64, 100]);
  const prof = await tf.profile(() => { trainStep(models, losses, real, z); });
  const by = new Map<string, [number, number]>();
  for (const k of prof.kernels) { const e = by.get(k.name) ?? [0, 0]; e[0]++; e[1] += k.kernelTimeMs as number; by.set(k.name, e); }
  console.log([...by].sort((a, b) => b[1][1] - a[1][1]).map(([k, v]) => `${k} n=${v[0]} ${v[1].toFixed(1)}ms`).join('\n'));
  const ids = prof.kernels.filter((k) => k.name === 'Identity').slice(0, 8).map((k) => JSON.stringify(k.inputShapes) + ' ' + (k.kernelTimeMs as number).toFixed(2));
  console.log(ids.join('\n'));
}
