/**
 * How `gantry train --data DIR` trains when no --preset is given: the family, resolution, channels, augmentation
 * and conditioning picked from what the folder holds (data/folder.ts `surveyFolder`), each with the reason, for the
 * user to read before training starts (and with --dry-run). The table (measured on this project's 2-core machine,
 * docs/MODELS.md):
 *
 *   images            family / preset             augmentation (DiffAugment)
 *   any               fastgan (lightweight)        color,translation,cutout below 10,000 images; translation above
 *   resolution        the largest of 28, 32, 64 not above the images' median shorter side (28 only for 28 px
 *                     images; under 32: 32, upscaled); 64 at most on a CPU (--resolution 128 asks for more)
 *   channels          1 when every sampled image is gray, else 3
 *   classes           class subfolders → class-conditional (projection D, conditional BatchNorm in G)
 *   background        white under transparency (emoji, icons, logos are drawn on white), else black
 *
 * A flag the user gives always wins over the pick.
 */
import type { TrainConfig } from './config.js';
import type { FolderSurvey } from './data/folder.js';

/** Below this many images, augmentation that changes colour and hides patches pays; above, translation alone. */
const FEW_IMAGES = 10_000;
/** The largest resolution picked on a CPU. */
const MAX_SIDE = 64;

export interface FolderDefaults {
  /** Config fields, before the user's flags are applied over them. */
  fields: Partial<TrainConfig>;
  /** One line per pick, saying why. */
  reasons: string[];
}

export function folderDefaults(survey: FolderSurvey): FolderDefaults {
  const reasons: string[] = [];
  const n = survey.count.toLocaleString('en-US');
  reasons.push(
    `preset fastgan: the lightweight family with a self-supervised D, made for hundreds to thousands of images (${n} here)`,
  );
  const few = survey.count < FEW_IMAGES;
  const diffAugment = few ? 'color,translation,cutout' : 'translation';
  reasons.push(
    `--diff-augment ${diffAugment}: ${few ? `${n} images are few enough for D to memorise` : `${n} images: D needs less help`}`,
  );
  const side = survey.side;
  const imageSize = side === 28 ? 28 : side < 32 ? 32 : side < MAX_SIDE ? 32 : MAX_SIDE;
  reasons.push(
    `--resolution ${imageSize}: the images' median shorter side is ${side} px${
      side > MAX_SIDE
        ? ` (${MAX_SIDE} keeps a step under a second on a CPU; --resolution 128 for more)`
        : side < 32
          ? ' (upscaled)'
          : ''
    }`,
  );
  const channels = survey.gray ? 1 : 3;
  reasons.push(`--channels ${channels}: ${survey.gray ? 'every image sampled is gray' : 'the images are in colour'}`);
  const fields: Partial<TrainConfig> = { preset: 'fastgan', imageSize, channels, diffAugment };
  if (survey.alpha) {
    fields.background = 'white';
    reasons.push('--background white: the images have transparency (drawn on white, as icons and emoji are)');
  }
  if (survey.classes >= 2) {
    fields.conditioning = 'projection';
    reasons.push(`--conditioning projection: ${survey.classes} class subfolders, so G draws the class it is asked for`);
  }
  return { fields, reasons };
}
