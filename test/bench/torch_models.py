"""MobileNetV2 and ResNet50 (v1.5) in plain PyTorch, for the training-throughput comparison when torchvision is
not installed. Same layer structure as torchvision's and as the project's tfjs backbones: the classifier is a
linear layer to the latent size d (PatchGD's backbone f)."""

import torch
from torch import nn


def make_divisible(value: float, divisor: int = 8) -> int:
    rounded = max(divisor, int(value / divisor + 0.5) * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_bn(cin: int, cout: int, kernel: int, stride: int, groups: int = 1) -> list[nn.Module]:
    return [
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        layers: list[nn.Module] = []
        if expand != 1:
            layers += [*conv_bn(cin, hidden, 1, 1), nn.ReLU6(inplace=True)]
        layers += [*conv_bn(hidden, hidden, 3, stride, groups=hidden), nn.ReLU6(inplace=True)]
        layers += conv_bn(hidden, cout, 1, 1)
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.block(x)
        return x + y if self.residual else y


# Expansion t, channels c, repeats n, first stride s.
MOBILENET_SETTINGS = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
]


def mobilenet_v2(latent: int, width: float = 1.0) -> nn.Module:
    channels = make_divisible(32 * width)
    layers: list[nn.Module] = [*conv_bn(3, channels, 3, 2), nn.ReLU6(inplace=True)]
    for t, c, n, s in MOBILENET_SETTINGS:
        out = make_divisible(c * width)
        for i in range(n):
            layers.append(InvertedResidual(channels, out, s if i == 0 else 1, t))
            channels = out
    last = make_divisible(1280 * max(1.0, width))
    layers += [*conv_bn(channels, last, 1, 1), nn.ReLU6(inplace=True)]
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(last, latent))


class Bottleneck(nn.Module):
    """torchvision's v1.5 bottleneck: the stride sits on the 3×3 convolution."""

    def __init__(self, cin: int, width: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(
            *conv_bn(cin, width, 1, 1),
            nn.ReLU(inplace=True),
            *conv_bn(width, width, 3, stride),
            nn.ReLU(inplace=True),
            *conv_bn(width, cout, 1, 1),
        )
        self.project = (
            nn.Sequential(*conv_bn(cin, cout, 1, stride)) if stride != 1 or cin != cout else nn.Identity()
        )
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.relu(self.body(x) + self.project(x))


# Blocks, bottleneck width, output width, first stride.
RESNET50_STAGES = [(3, 64, 256, 1), (4, 128, 512, 2), (6, 256, 1024, 2), (3, 512, 2048, 2)]


def resnet50(latent: int) -> nn.Module:
    layers: list[nn.Module] = [*conv_bn(3, 64, 7, 2), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    channels = 64
    for blocks, width, out, stride in RESNET50_STAGES:
        for i in range(blocks):
            layers.append(Bottleneck(channels, width, out, stride if i == 0 else 1))
            channels = out
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, latent))


def build(name: str, latent: int) -> tuple[nn.Module, str]:
    """The backbone by name, from torchvision when it is installed; the second value says which was used."""
    try:
        import torchvision.models as tvm  # type: ignore[import-not-found]

        model = tvm.mobilenet_v2() if name == "mobilenetv2" else tvm.resnet50()
        if name == "mobilenetv2":
            model.classifier = nn.Linear(model.last_channel, latent)
        else:
            model.fc = nn.Linear(model.fc.in_features, latent)
        return model, "torchvision"
    except ImportError:
        return (mobilenet_v2(latent) if name == "mobilenetv2" else resnet50(latent)), "plain torch"
