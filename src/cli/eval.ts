/** `gantry eval`: judge a run's generator (or a folder of images) against a real data set. */
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { BACKENDS, type BackendChoice, useBackend } from '../backend/index.js';
import { defaultCacheDir } from '../data/idx_sets.js';
import { DATASET_NAMES, DATASETS, type DatasetName, loadData } from '../data/index.js';
import { UsageError } from '../errors.js';
import { loadRunGenerator } from '../inference/sample.js';
import {
  type EvalResult,
  evaluate,
  firstImages,
  type ImageBatch,
  METRICS,
  type MetricName,
  realFeatures,
} from '../metrics/evaluate.js';
import { builtinExtractor, INPUT_SCALES, type InputScale, pluginExtractor } from '../metrics/extractor.js';
import { generateImages, generationLabels, latentNoise } from '../networks/generate.js';
import { formatMetricsLine } from '../train/metrics_log.js';
import { type CommandHelp, formatHelp, parseOptions } from './options.js';

export const evalHelp: CommandHelp = {
  usage: 'gantry eval (--run <dir> | --images <dir>) [options]',
  summary:
    'FID, KID, Inception-style score, precision/recall (k=3) and mode coverage of generated images against a\n' +
    'real data set, with the protocol used. Real features are cached per (data, split, extractor, count).\n' +
    "Results from --run are also appended to the run's metrics.jsonl.",
  options: {
    run: { type: 'string', placeholder: 'dir', help: 'a training run: its generator makes --count images' },
    images: { type: 'string', placeholder: 'dir', help: 'a folder of images to judge instead' },
    reference: { type: 'string', choices: DATASET_NAMES, help: "real data set (default: the run's, else mnist)" },
    split: { type: 'string', choices: ['train', 'test'], default: 'test', help: 'split of the reference data' },
    resolution: {
      type: 'int',
      min: 4,
      max: 4096,
      placeholder: 'n',
      help: "compare at this size, the reference downscaled as training does (default: the reference's own)",
    },
    count: {
      type: 'int',
      min: 2,
      max: 1000000,
      default: 10000,
      help: 'images on each side (at most what the reference has)',
    },
    metrics: {
      type: 'string',
      placeholder: 'list',
      default: METRICS.join(','),
      help: 'comma-separated subset of the metrics',
    },
    seed: { type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, help: 'latent seed for --run' },
    features: {
      type: 'string',
      placeholder: 'dir',
      help: 'a TensorFlow.js layers model to use as the feature extractor',
    },
    'feature-layer': { type: 'string', placeholder: 'name', help: 'with --features: the layer giving the features' },
    'input-scale': {
      type: 'string',
      choices: INPUT_SCALES,
      default: '-1,1',
      help: 'with --features: input value range',
    },
    json: { type: 'boolean', help: 'print one JSON line instead of a table' },
    backend: { type: 'string', choices: BACKENDS, default: 'auto', help: 'compute backend' },
  },
  examples: [
    'gantry eval --run runs/00000-dcgan-mnist',
    'gantry eval --run runs/fashion --reference fashion-mnist --count 5000 --json',
    'gantry eval --run runs/emoji32 --resolution 32   # a 32 px run against the 64 px emoji at its own size',
    'gantry eval --images my-samples/ --reference mnist --metrics fid,kid',
    'gantry eval --run runs/x --features inception/ --feature-layer pool3 --input-scale=-1,1',
  ],
};

function table(r: EvalResult): string {
  const rows: [string, string][] = [];
  const f = (v: number | undefined, digits = 3) => (v === undefined ? '' : v.toFixed(digits));
  if (r.fid !== undefined) rows.push(['FID', f(r.fid)]);
  if (r.kid !== undefined) rows.push(['KID', `${f(r.kid, 5)} ± ${f(r.kid_std, 5)}`]);
  if (r.is !== undefined) rows.push(['Inception-style score', `${f(r.is)} ± ${f(r.is_std)}`]);
  if (r.precision !== undefined) rows.push(['precision (k=3)', f(r.precision)]);
  if (r.recall !== undefined) rows.push(['recall (k=3)', f(r.recall)]);
  if (r.modes) rows.push(['modes covered (>2%)', `${r.modes.covered}/${r.modes.classes}, KL to real ${f(r.modes.kl)}`]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return [
    ...rows.map(([k, v]) => `${k.padEnd(width)}${v}`),
    '',
    `extractor: ${r.protocol.extractor}`,
    `reference: ${r.protocol.reference}, ${r.protocol.real_count} real vs ${r.protocol.generated_count} generated images`,
    ...(r.protocol.kid_subsets
      ? [`KID: ${r.protocol.kid_subsets} subsets; FID only compares under the same protocol`]
      : []),
    '',
  ].join('\n');
}

export async function evalCommand(argv: string[]): Promise<number> {
  const v = parseOptions('eval', argv, evalHelp.options);
  if (v == null) {
    process.stdout.write(formatHelp(evalHelp));
    return 0;
  }
  if ((v.run == null) === (v.images == null)) throw new UsageError('give one of --run <dir> or --images <dir>');
  const metrics = new Set(
    (v.metrics as string)
      .split(',')
      .map((m) => m.trim())
      .filter((m) => m !== ''),
  );
  for (const m of metrics)
    if (!(METRICS as readonly string[]).includes(m))
      throw new UsageError(`--metrics: unknown metric '${m}' (choose from ${METRICS.join(', ')})`);
  if (v.features != null && v['feature-layer'] == null) throw new UsageError('--features needs --feature-layer <name>');
  await useBackend(v.backend as BackendChoice);

  const run = v.run as string | undefined;
  const loaded = run != null ? loadRunGenerator(run) : null;
  const reference =
    (v.reference as DatasetName | undefined) ??
    (loaded && loaded.config.data == null ? loaded.config.dataset : 'mnist');
  const split = v.split as 'train' | 'test';
  const { channels } = DATASETS[reference];
  const imageSize = (v.resolution as number | undefined) ?? DATASETS[reference].imageSize;
  const real = await loadData({
    dataset: reference,
    data: null,
    split,
    imageSize,
    channels,
    fit: 'crop',
    background: 'black',
    strict: false,
  });
  const count = Math.min(v.count as number, real.count);
  const extractor =
    v.features != null
      ? await pluginExtractor(v.features as string, v['feature-layer'] as string, v['input-scale'] as InputScale)
      : await builtinExtractor(reference);
  try {
    let generated: ImageBatch;
    if (loaded != null) {
      const { generator, config } = loaded;
      const [h, w, c] = generator.outputShape;
      // The extractor resizes both sides to its input: at another size, the upscaling's blur counts as a difference.
      if (h !== real.height)
        process.stderr.write(
          `warning: the run draws ${h}×${w} images, compared with ${reference} at ${real.height}×${real.width}${h < real.height ? `: --resolution ${h} compares at the run's size` : ''}\n`,
        );
      generated = {
        images: generateImages(
          generator,
          latentNoise(v.seed as number, count, config.latentDim),
          config.latentDim,
          generationLabels(config, count),
        ),
        count,
        height: h,
        width: w,
        channels: c,
      };
      generator.store.dispose();
    } else {
      // Transparent pictures go on the reference's background (the emoji sets are on white).
      const { background } = DATASETS[reference];
      const folder = await loadData(
        {
          dataset: 'mnist',
          data: v.images as string,
          split: 'train',
          imageSize: real.height,
          channels: real.channels,
          fit: 'crop',
          background,
          strict: false,
        },
        { warn: (m) => process.stderr.write(`warning: ${m}\n`) },
      );
      generated = firstImages(folder, count);
    }
    const realSide = realFeatures(real, `${reference}/${split}`, count, extractor, defaultCacheDir());
    const at = imageSize === DATASETS[reference].imageSize ? '' : `, ${imageSize}×${imageSize}`;
    const result = evaluate(realSide, `${reference} (${split}${at})`, generated, extractor, metrics as Set<MetricName>);
    for (const w of result.warnings) process.stderr.write(`warning: ${w}\n`);
    const { warnings: _, ...record } = result;
    if (v.json) process.stdout.write(`${JSON.stringify(record)}\n`);
    else process.stdout.write(table(result));
    if (run != null && existsSync(join(run, 'metrics.jsonl')))
      appendFileSync(join(run, 'metrics.jsonl'), formatMetricsLine({ eval: record, time: new Date().toISOString() }));
    return 0;
  } finally {
    extractor.dispose();
  }
}
