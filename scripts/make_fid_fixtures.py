"""Reference values for gantry's Fréchet distance, made with numpy and scipy.linalg.sqrtm.

Run: /usr/bin/python3 scripts/make_fid_fixtures.py > test/fixtures/fid.json   (apt-get install -y python3-scipy)
Each case stores float32 feature rows for two sets, their means and covariances (numpy.cov, rowvar=False)
and the FID computed as in pytorch-fid: |mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr(sqrtm(S1 S2)).
"""
import json
import numpy as np
from scipy import linalg

def case(seed, n1, n2, d, shift, scale):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(d, d))
    a = (rng.normal(size=(n1, d)) @ mix).astype(np.float32)
    b = (rng.normal(size=(n2, d)) @ (mix * scale) + shift).astype(np.float32)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    mu1, mu2 = a64.mean(axis=0), b64.mean(axis=0)
    s1, s2 = np.cov(a64, rowvar=False), np.cov(b64, rowvar=False)
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    covmean = covmean.real
    fid = float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    return {"seed": seed, "d": d, "n1": n1, "n2": n2, "a": a.ravel().tolist(), "b": b.ravel().tolist(),
            "mu1": mu1.tolist(), "mu2": mu2.tolist(), "sigma1": s1.ravel().tolist(), "sigma2": s2.ravel().tolist(),
            "trace_sqrt": float(np.trace(covmean)), "fid": fid}

cases = [case(1, 60, 80, 4, 0.5, 1.0), case(2, 200, 150, 16, 0.1, 1.3), case(3, 400, 300, 48, -0.2, 0.7)]
print(json.dumps({"generator": "numpy %s, scipy %s" % (np.__version__, __import__("scipy").__version__), "cases": cases}))
