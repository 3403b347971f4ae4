"""PyTorch side of bench:train: patches/s of one backbone's training step (forward, backward, Adam step) and of
inference (the Z fill: forward without gradient), in training mode as PatchGD fills Z during training.

  /usr/bin/python3 test/bench/torch_train.py BACKBONE [--patch 128] [--batch 16] [--latent 256] [--threads 2]
      [--warmup 2] [--seconds 20]

Prints one JSON object."""

import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import build  # noqa: E402


def timed(step, warmup: int, seconds: float) -> tuple[float, int]:
    """Mean seconds per call after `warmup` calls, repeating for at least `seconds` (and at least 2 calls)."""
    for _ in range(warmup):
        step()
    calls = 0
    start = time.perf_counter()
    while calls < 2 or time.perf_counter() - start < seconds:
        step()
        calls += 1
    return (time.perf_counter() - start) / calls, calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("backbone", choices=["mobilenetv2", "resnet50"])
    parser.add_argument("--patch", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--latent", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    model, source = build(args.backbone, args.latent)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(args.batch, 3, args.patch, args.patch)

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = model(x).square().mean()
        loss.backward()
        optimizer.step()

    def infer_step() -> None:
        with torch.no_grad():
            model(x)

    train_s, train_calls = timed(train_step, args.warmup, args.seconds)
    infer_s, infer_calls = timed(infer_step, args.warmup, args.seconds / 2)
    print(
        json.dumps(
            {
                "backbone": args.backbone,
                "source": source,
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "batch": args.batch,
                "patch": args.patch,
                "train_step_s": train_s,
                "train_steps": train_calls,
                "train_patches_per_s": args.batch / train_s,
                "infer_step_s": infer_s,
                "infer_steps": infer_calls,
                "infer_patches_per_s": args.batch / infer_s,
            }
        )
    )


if __name__ == "__main__":
    main()
