import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, discriminatorFamily, parseSavedConfig, resolveConfig } from '../src/config.js';
import { DEFAULT_CONFIG } from '../src/options.js';

test('configs: unknown keys and bad values are refused; keys an older run lacks take their defaults', () => {
  assert.throws(
    () => resolveConfig({ colour: 'blue' }),
    (e: Error) => e instanceof ConfigError && /unknown config key 'colour' \(valid: dataset, /.test(e.message),
  );
  assert.throws(() => resolveConfig({ channels: 2 }), /channels must be 1 or 3/);
  assert.throws(() => resolveConfig({ imageSize: 48 }), /makes 28, 32, 64 pixel images, not 48/);
  assert.throws(() => resolveConfig({ mirror: 'yes' }), /mirror must be true or false/);
  const { data: _d, evalEvery: _e, mirror: _m, ...older } = DEFAULT_CONFIG;
  const parsed = parseSavedConfig({ ...older, epochs: 7 }, 'old/checkpoint.bin');
  assert.deepEqual(parsed, { ...DEFAULT_CONFIG, epochs: 7 });
  assert.throws(
    () => parseSavedConfig({ ...older, wings: 2 }, 'x/config.json'),
    /x\/config\.json: unknown config key 'wings'/,
  );
});

test("--d-architecture: D from another family, checked against that family's sizes and options", () => {
  const hybrid = resolveConfig({ preset: 'hybrid' });
  assert.equal(hybrid.architecture, 'resnet');
  assert.equal(discriminatorFamily(hybrid), 'stylegan');
  assert.equal(discriminatorFamily(resolveConfig({ preset: 'sngan' })), 'resnet');
  // D's family must make the size and take every option set, as G's must.
  assert.throws(
    () => resolveConfig({ architecture: 'stylegan', data: '/x', imageSize: 128, dArchitecture: 'dcgan' }),
    (e: Error) =>
      e instanceof ConfigError &&
      e.key === 'dArchitecture' &&
      /the dcgan D \(--d-architecture\) makes 28, 32, 64 pixel images, not 128/.test(e.message),
  );
  assert.throws(
    () => resolveConfig({ preset: 'hybrid', spectralNorm: 'd' }),
    /the stylegan D \(--d-architecture\) has no spectral norm/,
  );
  assert.throws(
    () => resolveConfig({ task: 'superres', dataset: 'emoji-twitter', dArchitecture: 'dcgan' }),
    /--task superres trains the pix2pix D, not --d-architecture/,
  );
  // Only families that draw from latent noise have a D to lend.
  assert.throws(() => resolveConfig({ dArchitecture: 'pix2pix' }), /dArchitecture must be one of same, dcgan, resnet/);
  const { dArchitecture: _a, ...older } = DEFAULT_CONFIG;
  assert.equal(parseSavedConfig(older, 'old/checkpoint.bin').dArchitecture, 'same');
});
