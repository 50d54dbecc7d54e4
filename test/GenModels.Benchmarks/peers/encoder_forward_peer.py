"""PyTorch peer of the encoder benchmarks (benchmark only; never a dependency of the library or its tests).

Times the reference encoder (784-400-20 VAE: Linear 784->400, ReLU, Linear 400->40, posterior mean) in eager PyTorch
without gradients, on a resident [rows, 784] float32 tensor of uniform values:
  batched  forward over the resident tensor in batches of `batch`, results copied out as the .NET side does;
  single   one [1, 784] tensor per row built from a Python list of floats (PyTorch's PredictionEngine analogue).
Prints "batched <rows/s>" and "single <rows/s>" (best of `runs`).
Usage: encoder_forward_peer.py THREADS ROWS BATCH SINGLE_ROWS RUNS
"""
import sys
import time

import torch

threads, rows, batch, single_rows, runs = (int(a) for a in sys.argv[1:6])
torch.set_num_threads(threads)
torch.manual_seed(1)
encoder = torch.nn.Sequential(torch.nn.Linear(784, 400), torch.nn.ReLU(), torch.nn.Linear(400, 40)).eval()
x = torch.rand(rows, 784)
out = torch.empty(batch, 20)
lists = x[:single_rows].tolist()


def batched():
    start = time.perf_counter()
    with torch.no_grad():
        for s in range(0, rows, batch):
            part = x[s:s + batch]
            out[:part.shape[0]].copy_(encoder(part)[:, :20])
    return rows / (time.perf_counter() - start)


def single():
    start = time.perf_counter()
    with torch.no_grad():
        for row in lists:
            encoder(torch.tensor([row]))[:, :20].numpy().copy()
    return single_rows / (time.perf_counter() - start)


batched(); single()  # warm up
print(f"batched {max(batched() for _ in range(runs)):.0f}")
print(f"single {max(single() for _ in range(runs)):.0f}")
