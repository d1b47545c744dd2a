import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, parseSavedConfig, resolveConfig } from '../src/config.js';
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
