"""PyTorch side of bench:train: one backbone's training step (forward, backward, Adam step) and inference step (the
Z fill: forward without gradient), in training mode as PatchGD fills Z during training, one step per request, so
that bench:train can time them in turn with its tfjs steps (the machine's speed drifts over minutes).
  /usr/bin/python3 test/bench/torch_train.py BACKBONE [--patch 128] [--batch 16] [--latent 256] [--threads 2]
    [--device cpu|cuda]
On cuda each step ends with torch.cuda.synchronize(), so that a step's time is its GPU work, not its launch.
Prints one JSON line when ready ({"source", "torch", "threads"}); then reads lines "train" or "infer" from stdin,
runs that step and prints "done" after each; stops at end of input."""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import build  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("backbone", choices=["mobilenetv2", "resnet50"])
    parser.add_argument("--patch", type=int, default=128)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--latent", type=int, default=256)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    args = parser.parse_args()
    device = torch.device(args.device)

    torch.set_num_threads(args.threads)
    torch.manual_seed(42)
    model, source = build(args.backbone, args.latent)
    model.to(device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(args.batch, 3, args.patch, args.patch).to(device)

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    def train_step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = model(x).square().mean()
        loss.backward()
        optimizer.step()
        sync()

    def infer_step() -> None:
        with torch.no_grad():
            model(x)
        sync()

    steps = {"train": train_step, "infer": infer_step}
    info = {"source": source, "torch": torch.__version__, "threads": torch.get_num_threads(), "device": args.device}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
    print(json.dumps(info), flush=True)
    for line in sys.stdin:
        steps[line.strip()]()
        print("done", flush=True)


if __name__ == "__main__":
    main()
