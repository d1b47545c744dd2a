/**
 * Full-reference image quality for image-to-image GANs (super-resolution, colorization, inpainting): PSNR and
 * SSIM between an output and its target, plus means over a held-out set stored back to back. Plain JS in
 * Float64: the images are small and the sums are short, so tfjs would only add transfers.
 *
 * SSIM is Wang et al. 2004 exactly as scikit-image's structural_similarity(a, b, data_range=R,
 * gaussian_weights=True, sigma=1.5, use_sample_covariance=False, channel_axis=-1): K1 = 0.01, K2 = 0.03, an
 * 11-tap Gaussian window (σ = 1.5, truncated at 3.5σ → radius 5), the SSIM map of each channel averaged over
 * the region at least 5 pixels from the border, then over channels. skimage filters with mode='reflect' and then
 * crops that border, so the border never matters: we only compute windows that lie inside the image.
 */

/** HWC pixels; Uint8Array images default to a data range of 255, Float32Array images must give theirs. */
export type Pixels = Uint8Array | Float32Array;

export interface ImageQualityOptions {
  height: number;
  width: number;
  channels: number;
  /** max − min of the pixel scale (255 for uint8, 1 for [0, 1] floats, 2 for [−1, 1]); 255 by default for Uint8Array. */
  dataRange?: number;
}

/** meanPsnr caps each image at this many dB, since identical images have infinite PSNR and would swamp the mean. */
export const PSNR_CAP_DB = 100;

const SIGMA = 1.5;
const RADIUS = Math.trunc(3.5 * SIGMA + 0.5); // scipy.ndimage's truncate = 3.5 → 5
const K1 = 0.01;
const K2 = 0.03;

/** Normalized Gaussian taps, as scipy.ndimage._gaussian_kernel1d builds them. */
const WEIGHTS = (() => {
  const w = Float64Array.from({ length: 2 * RADIUS + 1 }, (_, i) => Math.exp((-0.5 * (i - RADIUS) ** 2) / SIGMA ** 2));
  const sum = w.reduce((s, v) => s + v, 0);
  return w.map((v) => v / sum);
})();

/** Peak signal-to-noise ratio in dB, 10·log10(R² / MSE) over all pixels and channels; Infinity for identical images. */
export function psnr(a: Pixels, b: Pixels, options: ImageQualityOptions): number {
  const { size, range } = check('psnr', a, b, options, 1);
  return psnrAt(a, b, 0, size, range);
}

/** Mean SSIM over channels of one image pair, in [−1, 1]; 1 for identical images. Needs height and width ≥ 11. */
export function ssim(a: Pixels, b: Pixels, options: ImageQualityOptions): number {
  const { range } = check('ssim', a, b, options, 1);
  return new SsimWorkspace(options).ssim(a, b, 0, range);
}

/** Mean PSNR over N image pairs stored back to back, each capped at PSNR_CAP_DB so identical pairs count as 100 dB. */
export function meanPsnr(a: Pixels, b: Pixels, options: ImageQualityOptions): number {
  const { size, count, range } = check('meanPsnr', a, b, options);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += Math.min(psnrAt(a, b, i * size, size, range), PSNR_CAP_DB);
  return sum / count;
}

/** Mean SSIM over N image pairs stored back to back. */
export function meanSsim(a: Pixels, b: Pixels, options: ImageQualityOptions): number {
  const { size, count, range } = check('meanSsim', a, b, options);
  const workspace = new SsimWorkspace(options);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += workspace.ssim(a, b, i * size, range);
  return sum / count;
}

function psnrAt(a: Pixels, b: Pixels, offset: number, size: number, range: number): number {
  let sse = 0;
  for (let i = offset; i < offset + size; i++) sse += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((range * range) / (sse / size));
}

/**
 * Buffers for one image size, reused across a batch. The horizontal pass keeps every row but only the columns
 * whose window fits; the vertical pass then only visits windows that fit both ways, which is skimage's crop.
 */
class SsimWorkspace {
  private readonly h: number;
  private readonly w: number;
  private readonly c: number;
  private readonly cols: number;
  // Row-filtered x, y, x², y², xy for one channel: [h, cols].
  private readonly rows: Float64Array[];

  constructor({ height, width, channels }: ImageQualityOptions) {
    if (height < 2 * RADIUS + 1 || width < 2 * RADIUS + 1) {
      throw new Error(`ssim: images are ${height}×${width}; the 11×11 Gaussian window needs at least 11×11`);
    }
    this.h = height;
    this.w = width;
    this.c = channels;
    this.cols = width - 2 * RADIUS;
    this.rows = Array.from({ length: 5 }, () => new Float64Array(height * this.cols));
  }

  /** SSIM of the image pair starting at `offset` in a and b. */
  ssim(a: Pixels, b: Pixels, offset: number, range: number): number {
    const { h, w, c, cols } = this;
    const [mx, my, mxx, myy, mxy] = this.rows;
    const c1 = (K1 * range) ** 2;
    const c2 = (K2 * range) ** 2;
    let total = 0;
    for (let ch = 0; ch < c; ch++) {
      for (let r = 0; r < h; r++) {
        for (let col = 0; col < cols; col++) {
          let sx = 0,
            sy = 0,
            sxx = 0,
            syy = 0,
            sxy = 0;
          for (let k = 0, i = offset + (r * w + col) * c + ch; k <= 2 * RADIUS; k++, i += c) {
            const x = a[i],
              y = b[i],
              wk = WEIGHTS[k];
            sx += wk * x;
            sy += wk * y;
            sxx += wk * x * x;
            syy += wk * y * y;
            sxy += wk * x * y;
          }
          const o = r * cols + col;
          mx[o] = sx;
          my[o] = sy;
          mxx[o] = sxx;
          myy[o] = syy;
          mxy[o] = sxy;
        }
      }
      let sum = 0;
      for (let r = 0; r < h - 2 * RADIUS; r++) {
        for (let col = 0; col < cols; col++) {
          let ux = 0,
            uy = 0,
            uxx = 0,
            uyy = 0,
            uxy = 0;
          for (let k = 0, o = r * cols + col; k <= 2 * RADIUS; k++, o += cols) {
            const wk = WEIGHTS[k];
            ux += wk * mx[o];
            uy += wk * my[o];
            uxx += wk * mxx[o];
            uyy += wk * myy[o];
            uxy += wk * mxy[o];
          }
          // Population (not sample) variances, as use_sample_covariance=False.
          const vx = uxx - ux * ux,
            vy = uyy - uy * uy,
            vxy = uxy - ux * uy;
          sum += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
        }
      }
      total += sum / ((h - 2 * RADIUS) * cols);
    }
    return total / c;
  }
}

/** Validates shapes and the data range; returns the values per image, the image count and the range. */
function check(name: string, a: Pixels, b: Pixels, o: ImageQualityOptions, expectCount?: number) {
  const size = o.height * o.width * o.channels;
  if (![o.height, o.width, o.channels].every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(
      `${name}: height, width and channels must be positive integers, got ${o.height}×${o.width}×${o.channels}`,
    );
  }
  const shape = (p: Pixels) =>
    p.length % size === 0
      ? `[${p.length / size}, ${o.height}, ${o.width}, ${o.channels}]`
      : `${p.length} values (not a multiple of ${o.height}×${o.width}×${o.channels})`;
  const count = a.length / size;
  if (
    a.length !== b.length ||
    a.length % size !== 0 ||
    count === 0 ||
    (expectCount !== undefined && count !== expectCount)
  ) {
    throw new Error(
      `${name}: shapes differ or do not fit ${expectCount ?? 'N'} image(s) of ${o.height}×${o.width}×${o.channels}: a is ${shape(a)}, b is ${shape(b)}`,
    );
  }
  const range = o.dataRange ?? (a instanceof Uint8Array && b instanceof Uint8Array ? 255 : undefined);
  if (range === undefined || !(range > 0)) {
    throw new Error(
      `${name}: give a positive dataRange for float images (1 for [0, 1], 2 for [−1, 1]), got ${o.dataRange}`,
    );
  }
  return { size, count, range };
}
