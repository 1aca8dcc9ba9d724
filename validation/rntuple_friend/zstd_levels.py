"""Size and speed of zstd levels on RNTuple friend pages (issue 16 item 3).

Pages as the RNTuple friend writer makes them: 65536 values, split encoded (byte k of
every value, then byte k + 1). Columns: classifier scores (float32 sigmoid of a normal
logit, as `apply` writes), per-fold scores, and reweighting factors (float64). Prints the
compression ratio and the compression/decompression speed per level, medians of 5 runs.
Run: python validation/rntuple_friend/zstd_levels.py
"""
import statistics, time, os
import numpy as np
import zstandard

rng = np.random.default_rng(16)
N = 1 << 16
PAGES = 32

def split(a):
    b = a.view(np.uint8).reshape(len(a), a.itemsize)
    return np.ascontiguousarray(b.T).tobytes()

def pages(kind):
    out = []
    for _ in range(PAGES):
        z = rng.normal(0, 2.5, N)
        if kind == "score f32":
            a = (1 / (1 + np.exp(-z))).astype(np.float32)
        elif kind == "rw f64":
            s = 1 / (1 + np.exp(-0.3 * z))
            a = (s / (1 - s)).astype(np.float64)
        out.append(split(a))
    return out

print("load:", open("/proc/loadavg").read().strip())
for kind in ["score f32", "rw f64"]:
    ps = pages(kind)
    raw = sum(len(p) for p in ps)
    for level in [1, 3, 5]:
        c = zstandard.ZstdCompressor(level=level)
        d = zstandard.ZstdDecompressor()
        ct, dt = [], []
        for _ in range(5):
            t = time.process_time(); z = [c.compress(p) for p in ps]; ct.append(time.process_time() - t)
            t = time.process_time(); [d.decompress(x) for x in z]; dt.append(time.process_time() - t)
        size = sum(len(x) for x in z)
        print(f"{kind:10s} level {level}: ratio {raw/size:5.3f}  compress {raw/statistics.median(ct)/1e6:7.1f} MB/s  decompress {raw/statistics.median(dt)/1e6:7.1f} MB/s")
