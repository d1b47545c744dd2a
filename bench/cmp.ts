import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { ARCHITECTURES } from '../src/networks/network.js';
import { Adam } from '../src/train/adam.js';
import { trainStep, trainStepTwoPass } from '../src/train/step.js';
import { bceDiscriminatorLoss, nonSaturatingGeneratorLoss } from '../src/losses.js';
import { Rng } from '../src/util/random.js';
await useBackend((process.argv[2] ?? 'wasm') as 'wasm');
const spec = { latentDim: 100, imageSize: 28, channels: 1 };
function run(fn: typeof trainStep, steps: number) {
  const g = ARCHITECTURES.dcgan.generator(spec, 1), d = ARCHITECTURES.dcgan.discriminator(spec, 2);
  const opt = { lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 };
  const models = { generator: g, discriminator: d, gOptimizer: new Adam(opt), dOptimizer: new Adam(opt) };
  const losses = { discriminator: bceDiscriminatorLoss, generator: nonSaturatingGeneratorLoss };
  const rng = new Rng(3);
  const real = tf.tensor4d(rng.uniforms(64 * 784, -1, 1), [64, 28, 28, 1]);
  const out = [];
  for (let i = 0; i < steps; i++) { const z = tf.tensor2d(rng.normals(6400), [64, 100]); out.push(fn(models, losses, real, z)); z.dispose(); }
  const w = [...g.store.all().values()].map((v) => v.dataSync()[0]);
  return { out, w, tensors: tf.memory().numTensors };
}
const a = run(trainStep, 5), b = run(trainStepTwoPass, 5);
console.log(JSON.stringify(a.out), '\n', JSON.stringify(b.out));
console.log(JSON.stringify(a.w) === JSON.stringify(b.w) ? 'weights identical' : 'weights DIFFER', a.w.slice(0, 4), b.w.slice(0, 4));
