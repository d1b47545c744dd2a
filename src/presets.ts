/**
 * Named starting points (`--preset`): each is a small delta from the reference DCGAN's defaults (options.ts); any
 * flag overrides a preset's value. `fields` gets the image size, for options that depend on it. A new preset is
 * one entry here.
 */
import type { TrainConfig } from './options.js';

export interface Preset {
  /** One line for --dry-run and the docs. */
  summary: string;
  fields: (imageSize: number) => Partial<TrainConfig>;
}

export const PRESETS: Record<string, Preset> = {
  dcgan: { summary: 'the reference DCGAN: BCE, Adam 2e-4 β (0.5, 0.999)', fields: () => ({}) },
  lsgan: { summary: 'least-squares loss', fields: () => ({ loss: 'lsgan' }) },
  wgan: {
    summary: 'Wasserstein loss, weight clipping 0.01, RMSprop 5e-5, 5 D steps per G step',
    fields: () => ({ loss: 'wgan', optimizer: 'rmsprop', lr: 5e-5, nCritic: 5, weightClip: 0.01 }),
  },
  'wgan-gp': {
    summary: 'Wasserstein loss, gradient penalty λ 10, Adam 1e-4 β (0, 0.9), 5 D steps per G step',
    fields: () => ({ loss: 'wgan', gpWeight: 10, nCritic: 5, lr: 1e-4, beta1: 0, beta2: 0.9 }),
  },
  hinge: { summary: 'hinge loss', fields: () => ({ loss: 'hinge' }) },
  sngan: {
    summary: 'ResNet G and D, spectral norm in D, hinge loss, Adam 2e-4 β (0, 0.9)',
    fields: () => ({ architecture: 'resnet', spectralNorm: 'd', loss: 'hinge', beta1: 0, beta2: 0.9 }),
  },
  sagan: {
    summary: 'SNGAN plus self-attention at half the image size, spectral norm in G and D, TTUR (G 1e-4, D 4e-4)',
    fields: (imageSize) => ({
      architecture: 'resnet', spectralNorm: 'both', attention: imageSize / 2, loss: 'hinge', lr: 1e-4, dLr: 4e-4, beta1: 0, beta2: 0.9,
    }),
  },
  cgan: {
    summary: 'class-conditional DCGAN: conditional BatchNorm in G, projection D (labelled data)',
    fields: () => ({ conditioning: 'projection' }),
  },
  pix2pix: {
    summary: 'image-to-image (the default with --task): U-Net G, PatchGAN D, BCE + 100·L1, batch 16, PSNR/SSIM each epoch',
    fields: () => ({ architecture: 'pix2pix', l1Weight: 100, batchSize: 16, evalEvery: 1, sampleGridSize: 16 }),
  },
};

// Annotated: the preset option's choices (options.ts) must not depend on the presets' field types (a type cycle).
export const PRESET_NAMES: readonly string[] = Object.keys(PRESETS);
/** The presets of GANs from latent noise (pix2pix is for --task). */
export const LATENT_PRESET_NAMES = PRESET_NAMES.filter((p) => p !== 'pix2pix');
