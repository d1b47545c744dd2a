/**
 * How `gantry train --data DIR` trains when no --preset is given: the family, resolution, channels, augmentation
 * and conditioning picked from what the folder holds (data/folder.ts `surveyFolder`), each with the reason, for the
 * user to read before training starts (and with --dry-run). The table (measured on this project's 2-core machine,
 * docs/MODELS.md):
 *
 *   images            family / preset                           augmentation (DiffAugment)
 *   under 200         fastgan (lightweight)                      color,translation,cutout
 *   200 and more      hybrid (resnet G, StyleGAN2 D, no BN in D)  translation,cutout (without it D learns the
 *                                                                 images and FID rises after ~15 minutes)
 *   (--limit N: the N images trained on count, not the folder's)
 *   resolution        the largest of 28, 32, 64 not above the images' median shorter side (28 only for 28 px
 *                     images; under 32: 32, upscaled); 64 at most on a CPU (--resolution 128 asks for more);
 *                     32 when a --time-budget of at most an hour would otherwise train at 64
 *   channels          1 when every sampled image is gray, else 3
 *   classes           class subfolders → class-conditional (projection D, conditional BatchNorm in G): from 500
 *                     images the cgan preset (dcgan's layers; D with spectral norm, no BatchNorm), under 500 fastgan's
 *   background        white under transparency (emoji, icons, logos are drawn on white), else black
 *
 * A flag the user gives always wins over the pick.
 */
import type { TrainConfig } from './config.js';
import type { FolderSurvey } from './data/folder.js';

/**
 * From this many images on (without class subfolders), the hybrid preset with DiffAugment translation,cutout: at
 * 32 px for 30 minutes on the Google emoji it beat the reference dcgan on all 3,786 and on 500 spread over the set,
 * and fastgan on 200 spread (docs/MODELS.md). Below it fastgan, the design for a few hundred images: against the
 * hybrid below 200 not measured.
 */
const HYBRID_FROM = 200;
/** From this many images in class subfolders, the cgan preset (measured on thousands); below it fastgan's. */
const CGAN_FROM = 500;
/** The largest resolution picked on a CPU. */
const MAX_SIDE = 64;
/** A time budget of at most this many minutes trains 64 px pictures at 32 (docs/MODELS.md: 30 minutes, both). */
const SHORT_BUDGET_MINUTES = 60;

export interface FolderDefaults {
  /** Config fields, before the user's flags are applied over them. */
  fields: Partial<TrainConfig>;
  /** One line per pick, saying why. */
  reasons: string[];
}

/** `timeBudget`: the run's --time-budget in minutes (0 or absent: none). */
export function folderDefaults(survey: FolderSurvey, timeBudget = 0): FolderDefaults {
  const reasons: string[] = [];
  const n = survey.count.toLocaleString('en-US');
  const labelled = survey.classes >= 2;
  const hybrid = !labelled && survey.count >= HYBRID_FROM;
  const preset = hybrid ? 'hybrid' : 'fastgan';
  const diffAugment = hybrid ? 'translation,cutout' : 'color,translation,cutout';
  if (hybrid) {
    reasons.push(
      `preset hybrid: a ResNet G judged by the StyleGAN2 D; with ${n} images it draws clearer pictures than fastgan and the reference dcgan in the same time`,
    );
    reasons.push(
      `--diff-augment ${diffAugment}: without it D learns the ${n} images by heart and the pictures get worse after ~15 minutes`,
    );
  } else {
    reasons.push(
      `preset fastgan: the lightweight family with a self-supervised D, made for a few hundred images (${n} here)`,
    );
    reasons.push(`--diff-augment ${diffAugment}: ${n} images are few enough for D to memorise`);
  }
  const side = survey.side;
  const full = side === 28 ? 28 : side < 32 ? 32 : side < MAX_SIDE ? 32 : MAX_SIDE;
  const short = timeBudget > 0 && timeBudget <= SHORT_BUDGET_MINUTES && full === MAX_SIDE;
  const imageSize = short ? 32 : full;
  reasons.push(
    `--resolution ${imageSize}: the images' median shorter side is ${side} px${
      short
        ? ` (a ${timeBudget}-minute budget trains a 32 px G 3–4× as many images as a ${MAX_SIDE} px one; --resolution ${MAX_SIDE} for the full size)`
        : side > MAX_SIDE
          ? ` (${MAX_SIDE} keeps a step under a second on a CPU; --resolution 128 for more)`
          : side < 32
            ? ' (upscaled)'
            : ''
    }`,
  );
  const channels = survey.gray ? 1 : 3;
  reasons.push(`--channels ${channels}: ${survey.gray ? 'every image sampled is gray' : 'the images are in colour'}`);
  const fields: Partial<TrainConfig> = { preset, imageSize, channels, diffAugment };
  if (survey.alpha) {
    fields.background = 'white';
    reasons.push('--background white: the images have transparency (drawn on white, as icons and emoji are)');
  }
  if (labelled && survey.count >= CGAN_FROM) {
    // The cgan preset: dcgan's layers, conditional, D with spectral norm and without BatchNorm (with the reference D,
    // G drew one picture per class).
    fields.preset = 'cgan';
    fields.diffAugment = 'none';
    reasons[1] = '--diff-augment none: measured without it (cgan kept every class varied on the emoji)';
    reasons[0] = `preset cgan: the reference dcgan made class-conditional (${survey.classes} class subfolders, so G draws the class it is asked for), D with spectral norm and no BatchNorm, which keeps each class varied`;
  } else if (labelled) {
    fields.conditioning = 'projection';
    reasons.push(`--conditioning projection: ${survey.classes} class subfolders, so G draws the class it is asked for`);
  }
  return { fields, reasons };
}
