/** gantry's public API: re-exports only. */
export { useBackend, BACKENDS, type BackendChoice } from './backend/index.js';
export { registerWasmTrainingKernels } from './backend/wasm_kernels.js';
export { resolveConfig, DEFAULT_CONFIG, CONFIG_FIELDS, type TrainConfig } from './config.js';
export { loadBundledMnist } from './data/mnist.js';
export { batchTensor, epochOrder, limitDataset, stepsPerEpoch, type ImageDataset } from './data/dataset.js';
export { readCheckpoint, writeCheckpoint, CheckpointError } from './io/checkpoint.js';
export { exportGenerator, fileModelLoader } from './io/export.js';
export { encodePng, tileImages, toBytes } from './io/png.js';
export { bceDiscriminatorLoss, nonSaturatingGeneratorLoss } from './losses.js';
export { ARCHITECTURES, type Network, type NetworkSpec } from './networks/network.js';
export { BatchNorm, Conv2d, ConvTranspose2d, Dense, leakyRelu, ParamStore } from './networks/layers.js';
export { Adam } from './train/adam.js';
export { createGan, disposeGan, ganVariables, type Gan } from './train/gan.js';
export { train, formatLossLine, type TrainOptions, type TrainResult, type Progress } from './train/loop.js';
export { generateImages, latentNoise, loadRunGenerator, sampleRun } from './train/sample.js';
export { trainStep } from './train/step.js';
export { Rng, deriveSeed } from './util/random.js';
