import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { resolveConfig } from '../src/config.js';
import { exportGenerator, fileModelLoader } from '../src/io/export.js';
import { latentNoise } from '../src/networks/generate.js';
import { buildGenerator } from '../src/train/gan.js';
import { tempDir } from './helpers.js';

test('the exported generator loads with tf.loadLayersModel from disk and over HTTP and matches G', async () => {
  await useBackend('wasm');
  const dir = tempDir();
  const g = buildGenerator(resolveConfig({ seed: 3 }));
  // Non-trivial running statistics, as after training.
  tf.tidy(() => {
    for (const [name, v] of g.store.buffers) v.assign(tf.add(v, name.endsWith('mean') ? 0.3 : 0.5));
  });
  await exportGenerator(g, dir, { architecture: 'dcgan', latentDim: 100 });
  const z = tf.tensor2d(latentNoise(1, 8, 100), [8, 100]);
  const expected = g.apply(z, { training: false });

  const fromDisk = await tf.loadLayersModel(fileModelLoader(dir));
  const server = createServer((req, res) => {
    const file = join(dir, (req.url ?? '/').slice(1));
    res.setHeader('content-type', file.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/model.json`;
    const fromHttp = await tf.loadLayersModel(url);
    for (const model of [fromDisk, fromHttp]) {
      assert.deepEqual(model.outputs[0].shape, [null, 28, 28, 1]);
      const out = model.predict(z) as tf.Tensor;
      const diff = tf.max(tf.abs(tf.sub(out, expected))).dataSync()[0];
      assert.ok(diff < 1e-5, `exported model differs from G by ${diff}`);
      out.dispose();
      model.dispose();
    }
  } finally {
    server.close();
  }
  const meta = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')).userDefinedMetadata.gantry;
  assert.equal(meta.latentDim, 100);
  tf.dispose([z, expected]);
  g.store.dispose();
});
