import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linePlot } from '../src/io/plot.js';

test('the plots of a run folder (fid.png, ada.png) draw every character of their titles', () => {
  const points: [number, number][] = [
    [1, 0.1],
    [2, 0.3],
  ];
  const blank = linePlot(points, ' ');
  // The titles src/train/hooks.ts writes; a character without a glyph would draw as a space.
  for (const title of ['FID per epoch', 'ADA p per epoch'])
    for (const ch of new Set(title.replace(/ /g, '')))
      assert.notDeepEqual(linePlot(points, ch), blank, `"${ch}" of "${title}" draws nothing`);
});
