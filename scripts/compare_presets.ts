/**
 * `npm run compare-presets -- DATASET EPOCHS [PRESET,...] [--out DIR] [--count N] [--flags="--ema 0.999" --tag ema]`,
 * then `npm run compare-presets -- --report [--out DIR]`
 *
 * Trains each preset for the same number of epochs on one data set (each run a fresh `gantry train` process),
 * judges it with `gantry eval --json`, and for conditional runs measures how often the data set's classifier
 * agrees with the class asked for. Appends one JSON line per run to DIR/results.jsonl, the numbers behind
 * docs/MODELS.md. Presets run one after another: start two of these with disjoint presets to use both cores.
 */

import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../src/backend/index.js';
import { loadRunGenerator } from '../src/inference/sample.js';
import { builtinExtractor } from '../src/metrics/extractor.js';
import { generateImages, latentNoise } from '../src/networks/generate.js';
import { LATENT_PRESET_NAMES } from '../src/options.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    out: { type: 'string', default: 'runs/compare' },
    count: { type: 'string', default: '2000' },
    report: { type: 'boolean', default: false },
    // Extra train flags for every preset of this call (e.g. "--ema 0.999"), and the tag that names such runs.
    flags: { type: 'string', default: '' },
    tag: { type: 'string', default: '' },
  },
});
const [dataset = 'mnist', epochs = '5', presetList = LATENT_PRESET_NAMES.join(',')] = positionals;
const outDir = resolve(values.out!);
const gantry = resolve('bin', 'gantry.js');
mkdirSync(outDir, { recursive: true });

/** Share of images drawn for class k that the classifier puts in class k, over all classes. */
async function classAgreement(runDir: string, perClass: number): Promise<number> {
  const { generator, config } = loadRunGenerator(runDir);
  const extractor = await builtinExtractor(config.dataset);
  let agree = 0;
  for (let k = 0; k < config.numClasses; k++) {
    const images = generateImages(
      generator,
      latentNoise(1000 + k, perClass, config.latentDim),
      config.latentDim,
      new Int32Array(perClass).fill(k),
    );
    const { probs } = extractor.extract(images, perClass, config.imageSize, config.imageSize, config.channels);
    for (let i = 0; i < perClass; i++) {
      const row = probs!.subarray(i * config.numClasses, (i + 1) * config.numClasses);
      if (row.indexOf(Math.max(...row)) === k) agree++;
    }
  }
  extractor.dispose();
  generator.store.dispose();
  return agree / (perClass * config.numClasses);
}

interface RunRecord {
  dataset: string;
  preset: string;
  epochs: number;
  train_seconds: number;
  status: number;
  error?: string;
  final_d_loss?: number;
  final_g_loss?: number;
  class_agreement?: number;
  eval?: {
    fid: number;
    kid: number;
    precision: number;
    recall: number;
    modes: { covered: number; classes: number; kl: number };
  };
}

/** `--report`: results.jsonl as one markdown table per data set (the latest run of each preset). */
function report(): void {
  const runs = readFileSync(join(outDir, 'results.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunRecord);
  const latest = new Map(runs.map((r) => [`${r.dataset}/${r.preset}`, r]));
  for (const dataset of [...new Set(runs.map((r) => r.dataset))]) {
    const rows = [...latest.values()]
      .filter((r) => r.dataset === dataset)
      .sort((a, b) => (a.eval?.fid ?? Infinity) - (b.eval?.fid ?? Infinity));
    console.log(`\n${dataset}, ${rows[0].epochs} epoch(s):\n`);
    console.log(
      '| preset | FID ↓ | KID ↓ | precision | recall | modes (KL) | s / epoch | D / G loss (last 50 steps) |',
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const e = r.eval;
      const time = Math.round(r.train_seconds / r.epochs);
      if (r.status !== 0 || e == null) console.log(`| ${r.preset} | failed: ${r.error} | | | | | ${time} | |`);
      else
        console.log(
          `| ${r.preset} | ${e.fid.toFixed(1)} | ${e.kid.toFixed(2)} | ${e.precision.toFixed(2)} | ${e.recall.toFixed(2)} | ${e.modes.covered}/${e.modes.classes} (${e.modes.kl.toFixed(2)}) | ${time} | ${r.final_d_loss!.toFixed(3)} / ${r.final_g_loss!.toFixed(3)} |`,
        );
    }
  }
}

if (values.report) {
  report();
  process.exit(0);
}

await useBackend('auto');
const extraFlags = values.flags!.split(' ').filter((f) => f !== '');
for (const basePreset of presetList.split(',')) {
  const preset = values.tag ? `${basePreset}+${values.tag}` : basePreset;
  const runDir = join(outDir, `${dataset}-${preset}`);
  if (existsSync(runDir)) rmSync(runDir, { recursive: true });
  const started = performance.now();
  const trained = spawnSync(
    process.execPath,
    [
      gantry,
      'train',
      '--preset',
      basePreset,
      ...extraFlags,
      '--dataset',
      dataset,
      '--epochs',
      epochs,
      '--out',
      runDir,
      '--log-every',
      '100000',
    ],
    { encoding: 'utf8' },
  );
  const trainSeconds = (performance.now() - started) / 1000;
  const record: Record<string, unknown> = {
    date: new Date().toISOString(),
    dataset,
    preset,
    flags: values.flags,
    epochs: Number(epochs),
    train_seconds: Math.round(trainSeconds),
    status: trained.status,
  };
  if (trained.status !== 0) {
    record.error = trained.stderr.trim().split('\n').pop();
  } else {
    const steps = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { d_loss?: number; g_loss?: number | null });
    const losses = steps.filter((s) => s.d_loss != null);
    const tail = losses.slice(-50);
    record.final_d_loss = tail.reduce((a, s) => a + s.d_loss!, 0) / tail.length;
    const gTail = tail.filter((s) => s.g_loss != null);
    record.final_g_loss = gTail.reduce((a, s) => a + s.g_loss!, 0) / gTail.length;
    const evaluated = spawnSync(
      process.execPath,
      [gantry, 'eval', '--run', runDir, '--count', values.count!, '--json'],
      { encoding: 'utf8' },
    );
    record.eval =
      evaluated.status === 0
        ? JSON.parse(evaluated.stdout.trim().split('\n').pop()!)
        : { error: evaluated.stderr.trim() };
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { conditioning: string };
    if (config.conditioning !== 'none') record.class_agreement = await classAgreement(runDir, 200);
  }
  appendFileSync(join(outDir, 'results.jsonl'), `${JSON.stringify(record)}\n`);
  console.log(JSON.stringify({ ...record, eval: undefined, fid: (record.eval as { fid?: number } | undefined)?.fid }));
  tf.disposeVariables();
}
