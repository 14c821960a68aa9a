#!/usr/bin/python3
"""Builds the reproducible part of the bench:models zoo: torchvision and torch.nn models at a seeded
init, exported with torch.onnx (Debian's python3-torch / python3-torchvision / python3-onnx).
  /usr/bin/python3 bench/models/export_torchvision.py OUT_DIR [name ...]
Writes, per model, OUT_DIR/<name>.onnx, OUT_DIR/<name>.json (input name, shape, dtype), the seeded
input OUT_DIR/<name>.input.bin and torch's output for it OUT_DIR/<name>.output.bin (raw
little-endian; float32 or int64 input, float32 output). No weights are downloaded."""
import json, math, os, sys
import numpy as np
import torch
import torchvision.models as tvm
import torchvision.models.segmentation as seg
from torchvision.models import convnext as cnx
from torchvision.models import swin_transformer as swin
from torchvision.models.video import resnet as video


class Encoder(torch.nn.Module):
    """nn.TransformerEncoder, 4 layers, d 256, 4 heads, seq 64."""
    def __init__(self):
        super().__init__()
        layer = torch.nn.TransformerEncoderLayer(256, 4, 1024, batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, 4)
    def forward(self, x):
        return self.enc(x)


class Gru(torch.nn.Module):
    """A 2-layer GRU over 50 steps of 64 features, last state through a linear head."""
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(64, 128, 2, batch_first=True)
        self.head = torch.nn.Linear(128, 10)
    def forward(self, x):
        y, _ = self.gru(x)
        return self.head(y[:, -1])


class Lstm(torch.nn.Module):
    """A 2-layer bidirectional LSTM tagger: 50 steps of 64 features, a linear head on every step."""
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(64, 128, 2, batch_first=True, bidirectional=True)
        self.head = torch.nn.Linear(256, 12)
    def forward(self, x):
        y, _ = self.lstm(x)
        return self.head(y)


class Bert(torch.nn.Module):
    """A BERT-style encoder: token + position + segment embeddings, LayerNorm, 4 post-norm GELU
    encoder layers (d 256, 4 heads), and the pooler (tanh of a linear map of the first token)."""
    def __init__(self, vocab=8000, d=256, seq=64):
        super().__init__()
        self.tok = torch.nn.Embedding(vocab, d)
        self.pos = torch.nn.Embedding(seq, d)
        self.seg = torch.nn.Embedding(2, d)
        self.norm = torch.nn.LayerNorm(d, eps=1e-12)
        layer = torch.nn.TransformerEncoderLayer(d, 4, 4 * d, activation='gelu', batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, 4)
        self.pool = torch.nn.Linear(d, d)
        self.register_buffer('positions', torch.arange(seq).unsqueeze(0))
    def forward(self, ids):
        x = self.tok(ids) + self.pos(self.positions) + self.seg(torch.zeros_like(ids))
        h = self.enc(self.norm(x))
        return torch.tanh(self.pool(h[:, 0]))


def sinusoids(length, channels):
    """Whisper's fixed positional embedding: sin and cos at log-spaced timescales."""
    inc = math.log(10000) / (channels // 2 - 1)
    inv = torch.exp(-inc * torch.arange(channels // 2))
    t = torch.arange(length)[:, None] * inv[None, :]
    return torch.cat([torch.sin(t), torch.cos(t)], dim=1)


class WhisperEncoder(torch.nn.Module):
    """A Whisper-style audio encoder: 80 mel bins x 200 frames -> two Conv1d + GELU (the second with
    stride 2), sinusoidal positions, 4 pre-norm GELU encoder layers (d 192, 4 heads), a final LayerNorm."""
    def __init__(self, mels=80, d=192, frames=200):
        super().__init__()
        self.conv1 = torch.nn.Conv1d(mels, d, 3, padding=1)
        self.conv2 = torch.nn.Conv1d(d, d, 3, stride=2, padding=1)
        self.register_buffer('positions', sinusoids(frames // 2, d))
        layer = torch.nn.TransformerEncoderLayer(d, 4, 4 * d, activation='gelu', batch_first=True, norm_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, 4)
        self.norm = torch.nn.LayerNorm(d)
    def forward(self, mel):
        x = torch.nn.functional.gelu(self.conv1(mel))
        x = torch.nn.functional.gelu(self.conv2(x)).permute(0, 2, 1)
        return self.norm(self.enc(x + self.positions))


def convnext_mini():
    """torchvision's ConvNeXt (CNBlock: 7x7 depthwise, LayerNorm over channels, GELU MLP, layer scale)
    at a small width and depth: 32-64-128-256 channels, 1-1-2-1 blocks."""
    c = cnx.CNBlockConfig
    return cnx.ConvNeXt([c(32, 64, 1), c(64, 128, 1), c(128, 256, 2), c(256, None, 1)])


def r3d_mini():
    """torchvision's R3D (VideoResNet, 3x3x3 Conv3d basic blocks), one block per stage."""
    return video.VideoResNet(video.BasicBlock, [video.Conv3DSimple] * 4, [1, 1, 1, 1], video.BasicStem, num_classes=10)


def vit_tiny():
    """torchvision's VisionTransformer at a ViT-Tiny width: 224x224, 16x16 patches, 6 layers, d 192, 3 heads
    (its head starts at zero, so it is drawn at random here: an all-zero output would compare nothing)."""
    m = tvm.VisionTransformer(224, 16, 6, 3, 192, 768)
    torch.nn.init.normal_(m.heads.head.weight, std=0.02)
    return m


def swin_mini():
    """torchvision's Swin Transformer (shifted 7x7 windows, patch merging) at half of Swin-T's width,
    depths 2-2-2-2, 112x112 input."""
    return swin.SwinTransformer([4, 4], 48, [2, 2, 2, 2], [3, 6, 12, 24], [7, 7], stochastic_depth_prob=0.0)


MODELS = {
    'mobilenet_v3_small': (lambda: tvm.mobilenet_v3_small(), [1, 3, 224, 224]),
    'mnasnet0_5': (lambda: tvm.mnasnet0_5(), [1, 3, 224, 224]),
    'shufflenet_v2_x0_5': (lambda: tvm.shufflenet_v2_x0_5(), [1, 3, 224, 224]),
    'squeezenet1_1': (lambda: tvm.squeezenet1_1(), [1, 3, 224, 224]),
    'resnet18': (lambda: tvm.resnet18(), [1, 3, 224, 224]),
    'efficientnet_b0': (lambda: tvm.efficientnet_b0(), [1, 3, 224, 224]),
    'regnet_y_400mf': (lambda: tvm.regnet_y_400mf(), [1, 3, 224, 224]),
    'lraspp_mobilenet_v3_large': (lambda: seg.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None), [1, 3, 224, 224]),
    'convnext_mini': (convnext_mini, [1, 3, 224, 224]),
    'r3d_mini': (r3d_mini, [1, 3, 8, 56, 56]),
    'vit_tiny': (vit_tiny, [1, 3, 224, 224]),
    'swin_mini': (swin_mini, [1, 3, 112, 112]),
    'transformer_encoder': (Encoder, [1, 64, 256]),
    'bert_mini': (Bert, [1, 64], 'int64'),
    'whisper_encoder': (WhisperEncoder, [1, 80, 200]),
    'gru': (Gru, [1, 50, 64]),
    'lstm': (Lstm, [1, 50, 64]),
}


def seeded_input(shape, dtype):
    """The bench's input: an LCG stream (the same one bench/models/cell.mjs uses for shipped models)
    as a smooth pattern plus noise; for token ids, ids drawn from the same stream."""
    n = int(np.prod(shape))
    seed, u = 1, np.empty(n)
    for i in range(n):
        seed = (seed * 1103515245 + 12345) % 2**32
        u[i] = seed / 2**32
    if dtype == 'int64':
        return torch.from_numpy((u * 1000).astype(np.int64).reshape(shape))
    return torch.from_numpy((u - 0.5 + np.sin(np.arange(n) / 97)).astype(np.float32).reshape(shape))


def export(name, out):
    path = os.path.join(out, f'{name}.onnx')
    if os.path.exists(path) and os.path.exists(os.path.join(out, f'{name}.output.bin')):
        return
    make, shape, *rest = MODELS[name]
    dtype = rest[0] if rest else 'float32'
    torch.manual_seed(0)
    model = make().eval()
    x = seeded_input(shape, dtype)
    # exported with grad enabled: in no_grad, nn.TransformerEncoder takes a fused fast path
    # (aten::_transformer_encoder_layer_fwd) that torch.onnx cannot export
    torch.onnx.export(model, x, path, opset_version=17, input_names=['input'], output_names=['output'],
                      do_constant_folding=True)
    with torch.no_grad():
        y = model(x)
    if isinstance(y, dict):  # segmentation models: {'out': ...}, exported as the first output
        y = next(iter(y.values()))
    x.numpy().astype('<i8' if dtype == 'int64' else '<f4').tofile(os.path.join(out, f'{name}.input.bin'))
    y.numpy().astype('<f4').tofile(os.path.join(out, f'{name}.output.bin'))
    with open(os.path.join(out, f'{name}.json'), 'w') as f:
        json.dump({'input': 'input', 'shape': shape, 'dtype': dtype, 'outputShape': list(y.shape)}, f)
    print(f'exported {name}', flush=True)


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        sys.exit(f'unknown model(s) {unknown}; known: {list(MODELS)}')
    os.makedirs(out, exist_ok=True)
    for name in names:
        export(name, out)


if __name__ == '__main__':
    main()
