/** gantry's public API: re-exports only. */

export { registerDnnlKernels, unregisterDnnlKernels } from './backend/dnnl_kernels.js';
export { installSecondOrderGradients } from './backend/gradients.js';
export { BACKENDS, type BackendChoice, nativeLibrariesInUse, setNativeThreads, useBackend } from './backend/index.js';
export { timeNativeCalls } from './backend/kernel_overrides.js';
export { launchedByMpi, loadMpi, type Mpi } from './backend/mpi.js';
export { registerNativeKernels, unregisterNativeKernels } from './backend/native_kernels.js';
export { type OnnxGraph, onnxModel } from './backend/onnx.js';
export { loadOrt, ORT_VERSION } from './backend/ort.js';
export { registerWasmTrainingKernels } from './backend/wasm_kernels.js';
export { ConfigError, networkSpec, parseSavedConfig, resolveConfig, type TrainConfig } from './config.js';
export {
  batchLabels,
  batchTensor,
  epochOrder,
  type ImageDataset,
  limitDataset,
  stepsPerEpoch,
} from './data/dataset.js';
export { DOWNLOADABLE, downloadDataset } from './data/download.js';
export { DataError } from './data/errors.js';
export { type FolderOptions, loadImageFolder } from './data/folder.js';
export { encodeIdx, parseIdx, readIdx } from './data/idx.js';
export { defaultCacheDir, IDX_SETS, loadIdxFolder } from './data/idx_sets.js';
export { type DataSource, datasetHash, loadData } from './data/index.js';
export { loadBundledMnist } from './data/mnist.js';
export { DATASET_NAMES, DATASETS, type DatasetName } from './data/registry.js';
export type { DatasetDescriptor } from './data/set.js';
export { UsageError, UserError } from './errors.js';
export {
  type AppliedPicture,
  applyBaseline,
  applyGenerator,
  type Picture,
  TASK_COMMANDS,
} from './image2image/apply.js';
export { applyRun, applyToFile, applyToFolder, encodePicture, readPicture } from './inference/apply.js';
export { exportRun, MANIFEST_FILE, WEIGHTS_FILE } from './inference/export.js';
export { type GeneratorManifest, generatorFromWeights, packGenerator } from './inference/generator_weights.js';
export { loadRunGenerator, sampleRun } from './inference/sample.js';
export { CheckpointError, readCheckpoint, writeCheckpoint } from './io/checkpoint.js';
export { exportGenerator, fileModelLoader } from './io/export.js';
export { encodePng } from './io/png.js';
export {
  bceDiscriminatorLoss,
  classCrossEntropy,
  criticGeneratorLoss,
  type GanLoss,
  ganLoss,
  hingeDiscriminatorLoss,
  LOSS_NAMES,
  type LossName,
  lsDiscriminatorLoss,
  lsGeneratorLoss,
  nonSaturatingGeneratorLoss,
  saturatingGeneratorLoss,
  wassersteinDiscriminatorLoss,
} from './losses.js';
export { SelfAttention } from './networks/attention.js';
export { FAMILIES, FAMILY_NAMES } from './networks/families.js';
export { generateImages, generationLabels, latentNoise, runGenerator } from './networks/generate.js';
export {
  avgPool2,
  BatchNorm,
  ConditionalBatchNorm,
  Conv2d,
  ConvTranspose2d,
  Dense,
  Embedding,
  INITS,
  leakyRelu,
  minibatchStd,
  ParamStore,
  SpectralNorm,
  upsample2,
} from './networks/layers.js';
export { CONDITIONINGS, type Family, type Network, type NetworkSpec, SPECTRAL_NORMS } from './networks/network.js';
export {
  DEFAULT_CONFIG,
  OPTIONS,
  type Option,
  type OptionName,
  PRESET_NAMES,
  PRESETS,
  type Preset,
  RESUMABLE_OPTIONS,
} from './options.js';
export { Adam } from './train/adam.js';
export { diffAugment, instanceNoise } from './train/augment.js';
export { type Collective, shardOf } from './train/distributed.js';
export { updateEma } from './train/ema.js';
export { createGan, disposeGan, type Gan, ganVariables, samplingGenerator } from './train/gan.js';
export {
  formatLossLine,
  type Progress,
  TrainingDivergedError,
  type TrainOptions,
  type TrainResult,
  train,
} from './train/loop.js';
export { gradientPenalty, r1Penalty } from './train/penalties.js';
export { Rmsprop } from './train/rmsprop.js';
export { type StepOptions, trainStep } from './train/step.js';
export { stepOptions } from './train/wiring.js';
export { tileImages, toBytes } from './util/pixels.js';
export { deriveSeed, Rng } from './util/random.js';
