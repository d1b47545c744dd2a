/**
 * `node dist/scripts/fid_vs_time.js NAME=RUN [NAME=RUN…] --out chart.svg [--title T]`: FID against minutes of
 * training for runs trained with --eval-every, as one SVG chart (a line per run) and a markdown table on stdout.
 * Minutes are the eval lines' `seconds` (training time, evaluations included); runs from before that field existed
 * fall back to the sum of their step times (evaluations left out, said in the table).
 * A `gantry eval --run` line is plotted as the end point only when it was measured as the training's evaluations were
 * (same extractor, counts and compared size); otherwise it is left out, and the table says so.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { out: { type: 'string' }, title: { type: 'string', default: 'FID against training time' } },
});
if (positionals.length === 0 || values.out == null) {
  console.error('usage: node dist/scripts/fid_vs_time.js NAME=RUN [NAME=RUN…] --out chart.svg [--title T]');
  process.exit(2);
}

interface Point {
  minutes: number;
  fid: number;
  /** Absent on lines `gantry eval --run` appended. */
  epoch?: number;
}

const skipped: string[] = [];

type Protocol = Record<string, unknown> | undefined;

/**
 * Whether two evaluations score on one scale: the same extractor and counts, and the same compared size where both
 * lines record it (`real_size`, since 2026-12-04).
 */
function sameScale(a: Protocol, b: Protocol): boolean {
  const keys = ['extractor', 'real_count', 'generated_count'];
  if (a?.real_size != null && b?.real_size != null) keys.push('real_size');
  return keys.every((k) => a?.[k] === b?.[k]);
}

const series = positionals.map((arg) => {
  const [name, run] = arg.includes('=') ? arg.split('=', 2) : [arg, arg];
  let stepMs = 0;
  let estimated = false;
  const points: Point[] = [];
  let trainingProtocol: Protocol;
  for (const text of readFileSync(join(run, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    const line = JSON.parse(text) as {
      step_ms?: number;
      eval?: { fid?: number; protocol?: Record<string, unknown> };
      seconds?: number;
      epoch?: number;
    };
    if (line.step_ms != null) stepMs += line.step_ms;
    if (line.eval?.fid == null) continue;
    if (line.epoch != null) trainingProtocol = line.eval.protocol;
    else if (trainingProtocol != null && !sameScale(line.eval.protocol, trainingProtocol)) {
      // A `gantry eval` at another size, count or extractor scores on another scale: not a point of this curve.
      skipped.push(
        `${name}: a \`gantry eval\` line (FID ${line.eval.fid.toFixed(1)}) measured otherwise than the training's evaluations, left out`,
      );
      continue;
    }
    // A line `gantry eval --run` appended (no epoch) comes after training: at the last evaluation's time, or later.
    const last = points.at(-1);
    const seconds =
      line.seconds ??
      (line.epoch == null && last != null && !estimated ? Math.max(last.minutes * 60, stepMs / 1000) : null);
    if (seconds == null) estimated = true;
    points.push({ minutes: (seconds ?? stepMs / 1000) / 60, fid: line.eval.fid, epoch: line.epoch });
  }
  return { name, run, points, estimated };
});

const colours = ['#1f5fbf', '#d4461b', '#2a9d4a', '#8a3ab9', '#b8860b', '#333333'];
const [width, height, left, right, top, bottom] = [720, 400, 64, 160, 36, 44];
const all = series.flatMap((s) => s.points);
const xMax = Math.max(1, ...all.map((p) => p.minutes));
const yMax = Math.max(1, ...all.map((p) => p.fid));
const px = (x: number) => left + (x / xMax) * (width - left - right);
const py = (y: number) => height - bottom - (y / yMax) * (height - top - bottom);
const parts: string[] = [
  `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
  `<rect width="${width}" height="${height}" fill="white"/>`,
  `<text x="${left}" y="20" font-size="14">${values.title}</text>`,
];
for (let k = 0; k <= 5; k++) {
  const y = (yMax * k) / 5,
    x = (xMax * k) / 5;
  parts.push(
    `<line x1="${left}" x2="${width - right}" y1="${py(y)}" y2="${py(y)}" stroke="#e5e5e5"/>`,
    `<text x="${left - 6}" y="${py(y) + 4}" text-anchor="end">${y.toFixed(0)}</text>`,
    `<text x="${px(x)}" y="${height - bottom + 16}" text-anchor="middle">${x.toFixed(0)}</text>`,
  );
}
parts.push(
  `<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" stroke="black"/>`,
  `<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" stroke="black"/>`,
  `<text x="${(left + width - right) / 2}" y="${height - 8}" text-anchor="middle">minutes of training</text>`,
  `<text x="14" y="${(top + height - bottom) / 2}" transform="rotate(-90 14 ${(top + height - bottom) / 2})" text-anchor="middle">FID</text>`,
);
series.forEach((s, i) => {
  const colour = colours[i % colours.length];
  const path = s.points.map((p) => `${px(p.minutes).toFixed(1)},${py(p.fid).toFixed(1)}`).join(' ');
  parts.push(`<polyline points="${path}" fill="none" stroke="${colour}" stroke-width="2"/>`);
  for (const p of s.points)
    parts.push(`<circle cx="${px(p.minutes).toFixed(1)}" cy="${py(p.fid).toFixed(1)}" r="3" fill="${colour}"/>`);
  parts.push(
    `<rect x="${width - right + 16}" y="${top + i * 20}" width="12" height="12" fill="${colour}"/>`,
    `<text x="${width - right + 34}" y="${top + i * 20 + 11}">${s.name}</text>`,
  );
});
parts.push('</svg>');
writeFileSync(values.out, `${parts.join('\n')}\n`);

console.log('| run | epoch | minutes | FID |');
console.log('|---|---|---|---|');
for (const s of series)
  for (const p of s.points)
    console.log(
      `| ${s.name} | ${p.epoch ?? 'end (gantry eval)'} | ${p.minutes.toFixed(1)}${s.estimated ? '*' : ''} | ${p.fid.toFixed(1)} |`,
    );
if (series.some((s) => s.estimated)) console.log("\n\\* step times only (the run predates the eval lines' seconds)");
for (const note of skipped) console.log(`\n${note}`);
