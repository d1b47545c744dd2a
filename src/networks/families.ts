/**
 * The network families (`--architecture NAME`), by name: one descriptor each (network.ts: Family). A new family is
 * a file with its builders and descriptor, and one line here; the trainer does not branch on it.
 */
import { dcgan } from './dcgan.js';
import { lightweight } from './lightweight.js';
import type { Family } from './network.js';
import { pix2pix } from './pix2pix.js';
import { resnet } from './resnet.js';
import { stylegan } from './stylegan.js';

export const FAMILIES = { dcgan, resnet, pix2pix, lightweight, stylegan } satisfies Record<string, Family>;

export type FamilyName = keyof typeof FAMILIES;
export const FAMILY_NAMES = Object.keys(FAMILIES) as FamilyName[];
/** `--d-architecture`: 'same' (D of G's family) or a family that draws from latent noise, whose D then judges. */
export const D_FAMILY_CHOICES = ['same', ...FAMILY_NAMES.filter((name) => FAMILIES[name].input === 'latent')] as const;
