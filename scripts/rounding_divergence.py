"""How far two float32 runs of the same GAN training apart drift when only the order of their sums differs.

Issue 16 asks the 2-process `--sync-batchnorm` loss curve to equal the 1-process one within 1e-4 over 20 steps.
The two compute the same sums in a different order (each process sums its half of the batch, then the halves
are added), so they differ by float32 rounding at the first step; this script measures what 20 Adam steps of the
reference DCGAN make of such a difference in PyTorch, with no gantry code involved:

  a  float32, the batch in its order
  b  float32, every batch's images and latents permuted (the same step in exact arithmetic: BatchNorm's moments
     and the mean losses do not depend on the order; only the rounding does)
  c  float64, the batch in its order (the exact step, to ~1e-16)
  d  float64, permuted

and prints, per step, the largest difference of the D and G losses between a and b, a and c, c and d.

Run: /usr/bin/python3 scripts/rounding_divergence.py [--steps 20] [--data FILE]
(--data: n·28·28 uint8 images, e.g. MNIST digits; default: uniform noise in [-1, 1], seeded.)
"""
import argparse, json
import numpy as np, torch, torch.nn as nn, torch.optim as optim

p = argparse.ArgumentParser()
p.add_argument("--steps", type=int, default=20)
p.add_argument("--batch", type=int, default=64)
p.add_argument("--data", default=None)
args = p.parse_args()
torch.set_num_threads(1)
LATENT = 100


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(LATENT, 128 * 7 * 7)
        self.blocks = nn.Sequential(
            nn.BatchNorm2d(128), nn.ReLU(), nn.ConvTranspose2d(128, 64, 4, 2, 1),
            nn.BatchNorm2d(64), nn.ReLU(), nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.blocks(self.dense(z).view(-1, 128, 7, 7))


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = nn.Sequential(
            nn.Conv2d(1, 32, 3, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(32, 64, 3, 2, 1), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
            nn.Conv2d(64, 128, 3, 2, 1), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(128 * 4 * 4, 1))  # logits; the loss applies the sigmoid

    def forward(self, x):
        return self.blocks(x)


n = args.steps * args.batch
if args.data:
    raw = np.fromfile(args.data, dtype=np.uint8)[: n * 784]
    images = torch.tensor(raw.reshape(-1, 1, 28, 28), dtype=torch.float64) / 127.5 - 1
else:
    images = torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(2), dtype=torch.float64) * 2 - 1
latents = torch.randn(args.steps, args.batch, LATENT, generator=torch.Generator().manual_seed(1), dtype=torch.float64)


def run(dtype, permute):
    """The losses of `steps` seed-DCGAN steps (BCE, Adam 2e-4 β (0.5, 0.999)) from the same initial weights."""
    torch.manual_seed(0)
    g, d = Generator().to(dtype), Discriminator().to(dtype)
    g_opt = optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_opt = optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    out = []
    for s in range(args.steps):
        real = images[s * args.batch:(s + 1) * args.batch].to(dtype)
        z = latents[s].to(dtype)
        if permute:
            order = torch.randperm(args.batch, generator=torch.Generator().manual_seed(100 + s))
            real, z = real[order], z[order]
        d_opt.zero_grad()
        fake = g(z)
        real_v, fake_v = d(real), d(fake.detach())
        d_loss = 0.5 * (bce(real_v, torch.ones_like(real_v)) + bce(fake_v, torch.zeros_like(fake_v)))
        d_loss.backward()
        d_opt.step()
        g_opt.zero_grad()
        fake_v = d(fake)
        g_loss = bce(fake_v, torch.ones_like(fake_v))
        g_loss.backward()
        g_opt.step()
        out.append((d_loss.item(), g_loss.item()))
    return out


a, b = run(torch.float32, False), run(torch.float32, True)
c, e = run(torch.float64, False), run(torch.float64, True)
gap = lambda x, y: [max(abs(p[0] - q[0]), abs(p[1] - q[1])) for p, q in zip(x, y)]
print(json.dumps({"torch": torch.__version__, "steps": args.steps,
                  "float32_reordered": [float(f"{v:.2e}") for v in gap(a, b)],
                  "float32_vs_float64": [float(f"{v:.2e}") for v in gap(a, c)],
                  "float64_reordered": [float(f"{v:.2e}") for v in gap(c, e)]}))
