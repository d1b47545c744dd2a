"""Reference PSNR and SSIM values for gantry's image-quality metrics, made with numpy and scipy.ndimage.

Run: /usr/bin/python3 scripts/make_ssim_fixtures.py   (writes test/fixtures/ssim/; apt-get install -y python3-scipy)
scikit-image is not a Debian dependency here, so `ssim` below restates skimage.metrics.structural_similarity(
a, b, data_range=R, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, channel_axis=-1) line for
line: K1 = 0.01, K2 = 0.03, gaussian_filter(sigma=1.5, truncate=3.5, mode='reflect'), the SSIM map cropped by
(win_size - 1) // 2 on each side, averaged, then averaged over channels. Everything is float64 (skimage would
compute float32 inputs in float32; gantry always uses float64). PSNR is peak_signal_noise_ratio's formula.
Each case stores `count` image pairs back to back as raw pixels (uint8, or little-endian float32).
"""
import json
import os
import numpy as np
import scipy
from scipy.ndimage import gaussian_filter

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "fixtures", "ssim")
SIGMA, TRUNCATE, K1, K2 = 1.5, 3.5, 0.01, 0.03

def ssim_gray(x, y, data_range):
    x, y = x.astype(np.float64), y.astype(np.float64)
    f = lambda im: gaussian_filter(im, sigma=SIGMA, truncate=TRUNCATE, mode="reflect")
    ux, uy = f(x), f(y)
    vx, vy, vxy = f(x * x) - ux * ux, f(y * y) - uy * uy, f(x * y) - ux * uy
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    s = ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux ** 2 + uy ** 2 + c1) * (vx + vy + c2))
    pad = (2 * int(TRUNCATE * SIGMA + 0.5) + 1 - 1) // 2
    return float(s[pad:-pad, pad:-pad].mean())

def ssim(a, b, data_range):
    return float(np.mean([ssim_gray(a[..., ch], b[..., ch], data_range) for ch in range(a.shape[-1])]))

def psnr(a, b, data_range):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(data_range ** 2 / mse))

def smooth_image(rng, h, w, c):
    """Blurred noise stretched to 0..255: image-like structure at several scales, not white noise."""
    im = gaussian_filter(rng.normal(size=(h, w, c)), sigma=(3, 3, 0)) + 0.3 * rng.normal(size=(h, w, c))
    return (im - im.min()) / (im.max() - im.min()) * 255

def write_case(name, a, b, data_range, dtype):
    count, h, w, c = a.shape
    a, b = a.astype(dtype), b.astype(dtype)
    for suffix, im in (("a", a), ("b", b)):
        im.astype(np.dtype(dtype).newbyteorder("<")).tofile(os.path.join(OUT, "%s_%s.bin" % (name, suffix)))
    return {"name": name, "dtype": np.dtype(dtype).name, "count": count, "height": h, "width": w, "channels": c,
            "dataRange": data_range, "psnr": [psnr(a[i], b[i], data_range) for i in range(count)],
            "ssim": [ssim(a[i], b[i], data_range) for i in range(count)]}

def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(2004)
    # Two 32x40 RGB pairs: additive noise, and a blur plus a brightness shift (changes mean and structure).
    rgb = np.stack([smooth_image(rng, 32, 40, 3) for _ in range(2)])
    noisy = rgb[0] + rng.normal(scale=12, size=rgb[0].shape)
    blurred = gaussian_filter(rgb[1], sigma=(1.2, 1.2, 0)) + 20
    rgb_b = np.stack([noisy, blurred])
    cases = [write_case("rgb32x40", np.round(rgb).clip(0, 255), np.round(rgb_b).clip(0, 255), 255, np.uint8)]
    # One 24x24 grayscale pair: a blurred copy.
    gray = smooth_image(rng, 24, 24, 1)
    cases.append(write_case("gray24", np.round(gray)[None], np.round(gaussian_filter(gray, sigma=(1.0, 1.0, 0))).clip(0, 255)[None],
                            255, np.uint8))
    # One 16x16 RGB float pair in [0, 1] with data range 1: the Float32Array path.
    fa = (smooth_image(rng, 16, 16, 3) / 255).astype(np.float32)
    fb = np.clip(fa + rng.normal(scale=0.05, size=fa.shape), 0, 1).astype(np.float32)
    cases.append(write_case("float16", fa[None], fb[None], 1.0, np.float32))
    meta = {"generator": "numpy %s, scipy %s (scripts/make_ssim_fixtures.py)" % (np.__version__, scipy.__version__),
            "cases": cases}
    with open(os.path.join(OUT, "cases.json"), "w") as f:
        json.dump(meta, f, indent=1)
        f.write("\n")

main()
