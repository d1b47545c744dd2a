/**
 * gantry/web's image files (src/browser/images.ts), run here in Node with the same platform streams a browser has:
 * PNGs of every colour type and bit depth decode to the bytes sharp gives, PNGs encode to exactly their pixels, and
 * a zip of files unpacks (with Python's zipfile) to the same files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import sharp from 'sharp';
import { decodeImage, decodePng, encodePng, zipFiles } from '../src/browser/images.js';
import { ROOT, tempDir } from './helpers.js';

const GOOGLE = join(ROOT, 'node_modules', 'emoji-datasource-google', 'img', 'google', '64');

async function sharpRgba(bytes: Uint8Array) {
  const { data, info } = await sharp(bytes).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgba: new Uint8Array(data) };
}

test('PNGs of every colour type and bit depth decode to the bytes sharp gives', async () => {
  const source = readFileSync(join(GOOGLE, '1f98a.png'));
  // sharp's types lack `bitdepth`, which libvips takes for palette PNGs.
  const palette = (colours: number, bitdepth: number) => ({ palette: true, colours, bitdepth });
  const variants: Record<string, Uint8Array> = {
    rgba8: await sharp(source).png().toBuffer(),
    rgb8: await sharp(source).flatten({ background: '#336699' }).png().toBuffer(),
    gray8: await sharp(source).flatten({ background: '#ffffff' }).grayscale().png().toBuffer(),
    grayAlpha8: await sharp(source).grayscale().png().toBuffer(),
    palette8: await sharp(source).png(palette(200, 8)).toBuffer(),
    palette4: await sharp(source).png(palette(16, 4)).toBuffer(),
    palette1: await sharp(source).png(palette(2, 1)).toBuffer(),
    rgb16: await sharp(source).flatten({ background: '#ffffff' }).toColourspace('rgb16').png().toBuffer(),
  };
  // And the emoji files themselves, whatever types they use (8-bit RGBA, 8- and 4-bit palettes).
  for (const name of readdirSync(GOOGLE)
    .filter((f) => f.endsWith('.png'))
    .slice(0, 40))
    variants[name] = readFileSync(join(GOOGLE, name));
  for (const [name, bytes] of Object.entries(variants)) {
    const mine = await decodePng(bytes);
    assert.ok(mine != null, name);
    const theirs = await sharpRgba(bytes);
    assert.deepEqual([mine.width, mine.height], [theirs.width, theirs.height], name);
    assert.ok(
      Buffer.from(mine.rgba).equals(Buffer.from(theirs.rgba)),
      `${name}: the decoded bytes differ from sharp's`,
    );
    assert.equal(mine.hasAlpha, (await sharp(bytes).metadata()).hasAlpha, `${name}: alpha`);
  }
  await assert.rejects(decodeImage(new TextEncoder().encode('not an image'), 'notes.png'), /notes\.png: not a PNG/);
});

test('encodePng stores exactly its pixels for 1 to 4 channels; zipFiles packs files Python unpacks', async () => {
  const dir = tempDir();
  const files: { name: string; data: Uint8Array }[] = [];
  for (const channels of [1, 2, 3, 4] as const) {
    const width = 37,
      height = 23;
    const pixels = Uint8Array.from({ length: width * height * channels }, (_, i) => (i * 7919) % 256);
    const png = await encodePng({ width, height, channels, pixels });
    assert.equal((await sharp(png).metadata()).channels, channels);
    // As RGBA: gray spread over r, g and b, opaque where there is no alpha.
    const expected = new Uint8Array(width * height * 4);
    for (let p = 0; p < width * height; p++) {
      const at = (k: number) => pixels[p * channels + k];
      expected.set(channels <= 2 ? [at(0), at(0), at(0)] : [at(0), at(1), at(2)], p * 4);
      expected[p * 4 + 3] = channels === 2 ? at(1) : channels === 4 ? at(3) : 255;
    }
    assert.ok(Buffer.from((await sharpRgba(png)).rgba).equals(Buffer.from(expected)), `${channels} channels`);
    files.push({ name: `out/${channels}.png`, data: png });
  }
  const zip = join(dir, 'all.zip');
  writeFileSync(zip, new Uint8Array(await zipFiles(files).arrayBuffer()));
  const py = spawnSync(
    '/usr/bin/python3',
    [
      '-c',
      'import sys, zipfile, hashlib; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; ' +
        'print("\\n".join(f"{i.filename} {hashlib.sha256(z.read(i)).hexdigest()}" for i in z.infolist()))',
      zip,
    ],
    { encoding: 'utf8' },
  );
  assert.equal(py.status, 0, py.stderr);
  const { createHash } = await import('node:crypto');
  assert.deepEqual(
    py.stdout.trim().split('\n'),
    files.map((f) => `${f.name} ${createHash('sha256').update(f.data).digest('hex')}`),
  );
});
