#!/usr/bin/env python3
"""torchvision's VGG-16 as PyTorch users hold it, for sodlab's weight reader (test_weights.cpp).

Writes into OUT_DIR: vgg16 state_dicts of seeded random weights in PyTorch's zip serialisation
(torch.save since 1.6) and its legacy one (as torchvision publishes vgg16-397923af.pth); a fixed
input image (1x3x224x224 RGB in [0, 255], float32, raw); and torchvision's own activations for it
after the ImageNet normalisation: conv5_3 after its ReLU and fc7 after its ReLU (float32, raw).
Exit 77 when python3-torch / python3-torchvision are not installed.
"""
import sys

try:
    import torch
    import torchvision
except ImportError as e:
    print(f"SKIPPED: {e} (Debian: apt-get install python3-torch python3-torchvision)")
    sys.exit(77)

out = sys.argv[1]
torch.manual_seed(7)
net = torchvision.models.vgg16()  # random init, nothing downloaded
with torch.no_grad():
    for p in net.parameters():  # small weights keep activations in a range where 1e-5 is meaningful
        p.mul_(0.5)
net.eval()
# As net.state_dict() gives it (an OrderedDict carrying _metadata), in both serialisations, and as
# the one-line conversion sodlab prints writes it (a plain dict, zip format).
torch.save(net.state_dict(), f"{out}/vgg16_zip.pth")
torch.save(net.state_dict(), f"{out}/vgg16_legacy.pth", _use_new_zipfile_serialization=False)
torch.save(dict(net.state_dict()), f"{out}/vgg16_plain.pth")

gen = torch.Generator().manual_seed(3)
image = torch.rand(1, 3, 224, 224, generator=gen) * 255
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
x = (image / 255 - mean) / std
with torch.no_grad():
    conv5_3 = net.features[:30](x)  # index 29: the ReLU after conv5_3
    pooled = torch.flatten(net.avgpool(net.features(x)), 1)
    fc7 = net.classifier[:5](pooled)  # Linear, ReLU, Dropout (off in eval), Linear, ReLU
image.numpy().astype("float32").tofile(f"{out}/image.f32")
conv5_3.numpy().astype("float32").tofile(f"{out}/conv5_3.f32")
fc7.numpy().astype("float32").tofile(f"{out}/fc7.f32")
print(f"torch {torch.__version__}, torchvision {torchvision.__version__}: wrote {out}")
