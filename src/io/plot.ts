/**
 * A small line chart as a PNG (no chart library needed in Node): axes, a grid, the series as a polyline with
 * dots, and min/max labels drawn with a 3×5 pixel font.
 */
import { encodePng } from './png.js';

const GLYPHS: Record<string, string> = {
  '0': '111101101101111',
  '1': '010110010010111',
  '2': '111001111100111',
  '3': '111001111001111',
  '4': '101101111001001',
  '5': '111100111001111',
  '6': '111100111101111',
  '7': '111001010010010',
  '8': '111101111101111',
  '9': '111101111001111',
  '.': '000000000000010',
  '-': '000000111000000',
  e: '000111111100111',
  F: '111100110100100',
  I: '111010010010111',
  A: '010101111101101',
  D: '110101101101110',
  p: '000111101111100',
  o: '000111101101111',
  c: '000111100100111',
  h: '100100111101101',
  r: '000011100100100',
  ' ': '000000000000000',
};

export function linePlot(points: [number, number][], title: string, width = 480, height = 270): Buffer {
  const img = new Uint8Array(width * height * 3).fill(255);
  const set = (x: number, y: number, [r, g, b]: number[]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const p = (Math.round(y) * width + Math.round(x)) * 3;
    img[p] = r;
    img[p + 1] = g;
    img[p + 2] = b;
  };
  const text = (s: string, x: number, y: number, scale = 2) => {
    for (const [i, ch] of [...s].entries()) {
      const glyph = GLYPHS[ch] ?? GLYPHS[' '];
      for (let k = 0; k < 15; k++) {
        if (glyph[k] !== '1') continue;
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++)
            set(x + i * 4 * scale + (k % 3) * scale + dx, y + Math.floor(k / 3) * scale + dy, [40, 40, 40]);
      }
    }
  };
  const line = (x0: number, y0: number, x1: number, y1: number, colour: number[]) => {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let s = 0; s <= steps; s++) set(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps, colour);
  };
  const left = 60,
    right = width - 16,
    top = 30,
    bottom = height - 30;
  text(title, left, 8);
  line(left, bottom, right, bottom, [0, 0, 0]);
  line(left, top, left, bottom, [0, 0, 0]);
  if (points.length > 0) {
    const xs = points.map((p) => p[0]),
      ys = points.map((p) => p[1]);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    if (y1 - y0 < 1e-9) {
      y0 -= 1;
      y1 += 1;
    }
    const px = (x: number) => (x1 === x0 ? (left + right) / 2 : left + ((x - x0) / (x1 - x0)) * (right - left));
    const py = (y: number) => bottom - ((y - y0) / (y1 - y0)) * (bottom - top);
    for (let g = 0; g <= 4; g++)
      line(left + 1, top + ((bottom - top) * g) / 4, right, top + ((bottom - top) * g) / 4, [225, 225, 225]);
    text(y1.toPrecision(4), 2, top - 4);
    text(y0.toPrecision(4), 2, bottom - 6);
    text(String(x0), left, bottom + 8);
    text(String(x1), right - 8 * String(x1).length, bottom + 8);
    for (let i = 1; i < points.length; i++)
      line(px(points[i - 1][0]), py(points[i - 1][1]), px(points[i][0]), py(points[i][1]), [30, 90, 200]);
    for (const [x, y] of points)
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) set(px(x) + dx, py(y) + dy, [200, 50, 30]);
  }
  return encodePng(width, height, 3, img);
}
