/**
 * A run's plan: its data and the plug-ins the loop runs (plugins.ts), picked from the config. This is the one place
 * that tells a GAN from noise, a conditional GAN and an image-to-image run apart.
 */
import type { TrainConfig } from '../config.js';
import { limitDataset } from '../data/dataset.js';
import { DataError } from '../data/errors.js';
import { type LoadHooks, loadData } from '../data/index.js';
import { loadTaskData } from '../image2image/training.js';
import { createTrainingEvaluator } from '../metrics/training_eval.js';
import {
  adaPlot,
  classGrid,
  collapseWatch,
  emaStatistics,
  exportLayers,
  fidEvaluation,
  heldOutEvaluation,
  pairGrid,
  sampleGrid,
} from './hooks.js';
import type { EpochHook, RunPlan } from './plugins.js';
import { conditionalSource, latentSource, taskSource } from './sources.js';

export interface PlanContext extends LoadHooks {
  cacheDir: string;
  /** The run folder; a resumed run's data must match what it recorded. */
  runDir: string;
  resumed: boolean;
  /** Whether this process evaluates (rank 0 of a data-parallel run: the others skip building the evaluator). */
  evaluate: boolean;
}

/**
 * Loads the run's data and picks its plug-ins. A conditional run records its data's class count in the config
 * (a resumed one checks it).
 */
export async function planRun(config: TrainConfig, context: PlanContext): Promise<RunPlan> {
  if (config.task !== 'none') {
    // Image-to-image runs keep a fixed held-out split for their PSNR/SSIM and sample grids.
    const { train, heldOut } = await loadTaskData(config, context);
    const data = limitDataset(train, config.limit, config.subset);
    return {
      data,
      description: ` for --task ${config.task} (${heldOut.count} held out)`,
      source: (gan) => taskSource(config, data, gan.discriminator),
      hooks: [pairGrid(heldOut), heldOutEvaluation(heldOut)],
      dispose: () => {},
    };
  }
  const data = limitDataset(await loadData(config, context), config.limit, config.subset);
  const conditional = config.conditioning !== 'none';
  if (conditional) {
    if (data.labels == null) {
      throw new DataError(
        `--conditioning ${config.conditioning} (preset ${config.preset}) needs labelled data; ${data.name} has no labels (image folders: one subfolder per class)`,
      );
    }
    const classes = data.classNames?.length ?? Math.max(...data.labels) + 1;
    if (context.resumed && config.numClasses !== classes)
      throw new DataError(`${context.runDir} was trained on ${config.numClasses} classes; ${data.name} has ${classes}`);
    if (classes < 2) throw new DataError(`a conditional GAN needs at least 2 classes; ${data.name} has ${classes}`);
    config.numClasses = classes;
  }
  const evaluator =
    (config.evalEvery > 0 || config.evalMinutes > 0) && context.evaluate
      ? await createTrainingEvaluator(config, data, context.cacheDir)
      : null;
  const hooks: EpochHook[] = [
    emaStatistics,
    sampleGrid(config),
    ...(conditional ? [classGrid(config)] : []),
    exportLayers,
  ];
  if (evaluator != null) hooks.push(fidEvaluation(evaluator));
  else if (context.evaluate) hooks.push(collapseWatch(config, data));
  if (config.ada || config.augmentP != null) hooks.push(adaPlot);
  return {
    data,
    description: '',
    source: () => (conditional ? conditionalSource(config, data) : latentSource(config)),
    hooks,
    dispose: () => evaluator?.dispose(),
  };
}
