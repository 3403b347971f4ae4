"""Reference side of the weight-import tests, run with Debian's python3-torch + python3-torchvision.

make ARCH WIDTH CLASSES SEED DIR  torchvision's ARCH (resnet50 | mobilenet_v2) with num_classes=CLASSES, seeded, its
                                  batch-norm statistics and affine parameters randomised (so that eval mode differs
                                  from train mode); writes model.pt (torch.save), model.safetensors, x.npy (a 2x3x64x64
                                  batch), r.npy (loss weights), eval.npy and train.npy (outputs in each mode, float64),
                                  grads.safetensors (d sum(r * train output) / d parameter, float64) and
                                  torch-float32-errors.json (PyTorch's own float32 error on each, relative to max |.|).
check ARCH WIDTH CLASSES WEIGHTS X OUT  loads WEIGHTS (safetensors) with load_state_dict(strict=True), writes the eval
                                  output for X to OUT (float64) and OUT-float32.npy (PyTorch in float32).
formats DIR                       small state_dicts exercising the reader: views with offsets and strides, float64,
                                  float16, int64 (views.pt, expected values in views.json); a pickle naming a
                                  forbidden global (evil.pt), one with an opcode outside the subset (opcode.pt), the
                                  legacy format (legacy.pt).
"""

import copy
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch
import torchvision

DTYPES = {torch.float32: "F32", torch.int64: "I64", torch.float64: "F64", torch.float16: "F16"}
NUMPY = {"F32": np.float32, "I64": np.int64, "F64": np.float64, "F16": np.float16}


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name, t in tensors.items():
        little = np.dtype(NUMPY[DTYPES[t.dtype]]).newbyteorder("<")
        data = np.ascontiguousarray(t.detach().cpu().numpy(), dtype=little).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * ((8 - (len(text) + 8) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        array = np.frombuffer(raw[8 + n + begin : 8 + n + end], dtype=NUMPY[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(array.copy())
    return out


def build(arch, width, classes):
    if arch == "resnet50":
        return torchvision.models.resnet50(num_classes=classes)
    return torchvision.models.mobilenet_v2(num_classes=classes, width_mult=width)


def make(arch, width, classes, seed, out):
    torch.manual_seed(seed)
    model = build(arch, width, classes)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.3, 0.3)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.8, 1.2)
                # Positive shifts keep most ReLUs live: a channel a ReLU zeroes for nearly the whole (tiny) batch has
                # almost no variance, and its training-mode gradient is rounding noise in any float32 code (PyTorch's
                # own float32 gradients are then percent-level off its float64 ones).
                m.bias.uniform_(0.5, 1.0)
    original = model
    state = model.state_dict()
    torch.save(state, os.path.join(out, "model.pt"))
    write_safetensors(os.path.join(out, "model.safetensors"), state)
    x = torch.randn(2, 3, 64, 64)
    r = torch.randn(x.shape[0], classes)
    np.save(os.path.join(out, "x.npy"), x.numpy())
    np.save(os.path.join(out, "r.npy"), r.numpy())
    # The reference values in float64 from the same (float32) weights: what a float32 implementation approximates.
    # PyTorch's own float32 results are off by their rounding; figures.json records by how much.
    figures = {}
    outputs = {}
    for precision in (torch.float64, torch.float32):
        # A copy each: the training-mode pass updates the running statistics.
        model = copy.deepcopy(original).to(precision)
        model.eval()
        with torch.no_grad():
            outputs["eval", precision] = model(x.to(precision))
        model.train()
        # Batch statistics only: MobileNetV2's classifier dropout stays off, our backbone has none.
        for m in model.modules():
            if isinstance(m, torch.nn.Dropout):
                m.eval()
        model.zero_grad()
        y = model(x.to(precision))
        (y * r.to(precision)).sum().backward()
        outputs["train", precision] = y.detach()
        outputs["grads", precision] = {n: p.grad.clone() for n, p in model.named_parameters()}
    np.save(os.path.join(out, "eval.npy"), outputs["eval", torch.float64].numpy())
    np.save(os.path.join(out, "train.npy"), outputs["train", torch.float64].numpy())
    write_safetensors(os.path.join(out, "grads.safetensors"), outputs["grads", torch.float64])
    rel = lambda a, b: ((a.double() - b).abs().max() / b.abs().max()).item()
    for mode in ("eval", "train"):
        figures[mode] = rel(outputs[mode, torch.float32], outputs[mode, torch.float64])
    grads32, grads64 = outputs["grads", torch.float32], outputs["grads", torch.float64]
    # Over all parameters together (some have gradients that vanish analytically, e.g. biases a batch norm undoes).
    largest = max(g.abs().max().item() for g in grads64.values())
    figures["grads"] = max((grads32[n].double() - grads64[n]).abs().max().item() for n in grads64) / largest
    json.dump(figures, open(os.path.join(out, "torch-float32-errors.json"), "w"))


def check(arch, width, classes, weights, x, out):
    model = build(arch, width, classes)
    model.load_state_dict(read_safetensors(weights), strict=True)
    model.eval()
    batch = torch.from_numpy(np.load(x))
    with torch.no_grad():
        np.save(out.replace(".npy", "-float32.npy"), model(batch).numpy())
        np.save(out, model.double()(batch.double()).numpy())


def formats(out):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 7
    state = {
        "transposed": base.t(),  # strides (1, 6)
        "sliced": base[1:3, 2:5],  # offset 8, strides (6, 1)
        "double": torch.linspace(-1, 1, 5, dtype=torch.float64),
        "half": torch.tensor([0.5, -2.25, 65504.0, 1e-4], dtype=torch.float16),
        "counter": torch.tensor(123456789012, dtype=torch.int64),
        "shared": base,  # the same storage as the views above
    }
    torch.save(state, os.path.join(out, "views.pt"))
    expected = {k: {"shape": list(v.shape), "values": v.double().flatten().tolist()} for k, v in state.items()}
    json.dump(expected, open(os.path.join(out, "views.json"), "w"))

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": Evil()}, protocol=2))
    open(os.path.join(out, "evil.pt"), "wb").write(buffer.getvalue())
    # Protocol 0's INT opcode, which no state_dict pickle holds.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("archive/data.pkl", b"\x80\x02I1\n.")
    open(os.path.join(out, "opcode.pt"), "wb").write(buffer.getvalue())
    # The legacy (pre-1.6) format: a bare pickle stream.
    torch.save({"w": base}, os.path.join(out, "legacy.pt"), _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    torch.set_num_threads(1)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "make":
        make(args[0], float(args[1]), int(args[2]), int(args[3]), args[4])
    elif command == "check":
        check(args[0], float(args[1]), int(args[2]), args[3], args[4], args[5])
    elif command == "formats":
        formats(args[0])
    else:
        sys.exit(f"unknown command {command}")
