/**
 * What a named data set is, described once: its image shape, background, splits, classifier and loader. The
 * registry (registry.ts) lists the descriptors; config, `gantry data`, `gantry eval`, image-to-image runs and the
 * metrics read everything about a named set from its descriptor. Descriptors are Node-free: their loaders import
 * the Node-only reading code (sharp, node:fs) when called, so the config and the studio's page can read the
 * registry without it.
 */
import type { ImageDataset } from './dataset.js';

export type Split = 'train' | 'test';

/**
 * Imports a Node-only reader (`path` relative to the calling descriptor's file, `from` its import.meta.url) when a
 * loader runs. The specifier is made at run time so that the studio's browser bundle leaves the reader out;
 * `T` (a `typeof import(...)`, erased at compile time) keeps the call typed.
 */
export const importReader = <T>(path: string, from: string): Promise<T> => import(new URL(path, from).href);

/** Where loaders cache decoded images, and how they report. */
export interface LoadContext {
  cacheDir: string;
  progress?: (done: number, total: number) => void;
  warn?: (message: string) => void;
}

export interface DatasetDescriptor {
  /** One line for `gantry data info` and --help. */
  summary: string;
  /** Every image is imageSize × imageSize with this many channels (--resolution and --channels cannot change it). */
  imageSize: number;
  channels: 1 | 3;
  /** What transparent pixels become when a picture is read to compare with or apply a run of this set. */
  background: 'black' | 'white';
  /** What 'train' and 'test' hold, in a sentence. */
  splits: string;
  /**
   * The images an image-to-image run holds out for its PSNR/SSIM and grids: the test split ('test'), or the test
   * split taken out of 'train' when 'test' is part of 'train' ('test-within-train').
   */
  heldOut: 'test' | 'test-within-train';
  /** The built-in classifier (models/classifiers/<name>) whose features judge images of this set. */
  features: string;
  load(split: Split, context: LoadContext): Promise<ImageDataset>;
  /**
   * Translation between two named sets of the same pictures in different styles: `partner` is the default source
   * when this set is the target; `load` returns the pairs (this set's images as targets, `source`'s in `sources`),
   * or null when `source` is no style of the same pictures.
   */
  pairs?: {
    partner: string;
    load(source: string, split: Split, context: LoadContext): Promise<ImageDataset> | null;
  };
}
