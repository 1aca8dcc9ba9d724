"""Sizes and speeds of ROOT's codecs on score-like columns, for the friend writer's
choice of compression (docs/formats.md, "Compression: why zstd level 1").

    /work/venv-all/bin/python validation/friend_codecs.py

Prints ROOT 6.40's default compression settings, then for two columns of 2,000,000
big-endian floats (a sigmoid of normal values, and weights near 1) compressed in
512 KiB blocks: the compressed size as a fraction of the raw size and the best of three
speeds in MB/s.
"""
import numpy as np, zlib, lz4.block, zstandard, time, ROOT
print("ROOT default", int(ROOT.RCompressionSetting.EDefaults.kUseGeneralPurpose), int(ROOT.RCompressionSetting.EDefaults.kUseCompiledDefault))
rng=np.random.default_rng(1)
z=rng.normal(size=2_000_000)*2
s=(1/(1+np.exp(-z))).astype('>f4').tobytes()
d=rng.normal(size=2_000_000).astype('>f8').tobytes()
w=(rng.normal(size=2_000_000)*0.1+1).astype('>f4').tobytes()
for name,b in [("score f32",s),("weight f32",w)]:
  for cname,f in [("zlib1",lambda x: zlib.compress(x,1)),("zlib6",lambda x: zlib.compress(x,6)),("lz4",lambda x: lz4.block.compress(x,store_size=False)),("zstd1",lambda x: zstandard.ZstdCompressor(level=1).compress(x)),("zstd3",lambda x: zstandard.ZstdCompressor(level=3).compress(x)),("zstd5",lambda x: zstandard.ZstdCompressor(level=5).compress(x))]:
    ts=[]
    for r in range(3):
      t=time.perf_counter(); out=sum(len(f(b[i:i+512*1024])) for i in range(0,len(b),512*1024)); ts.append(time.perf_counter()-t)
    print(name,cname,"ratio %.3f"%(out/len(b)),"MB/s %.0f"%(len(b)/min(ts)/1e6))
