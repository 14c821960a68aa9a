#!/usr/bin/python3
"""Builds the reproducible part of the bench:models zoo: torchvision and torch.nn models at a seeded
init, exported with torch.onnx (Debian's python3-torch / python3-torchvision / python3-onnx).
  /usr/bin/python3 bench/models/export_torchvision.py OUT_DIR [name ...]
Writes OUT_DIR/<name>.onnx and OUT_DIR/<name>.json (input shape). No weights are downloaded."""
import json, os, sys
import torch
import torchvision.models as tvm
import torchvision.models.segmentation as seg


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


MODELS = {
    'mobilenet_v3_small': (lambda: tvm.mobilenet_v3_small(), [1, 3, 224, 224]),
    'mnasnet0_5': (lambda: tvm.mnasnet0_5(), [1, 3, 224, 224]),
    'shufflenet_v2_x0_5': (lambda: tvm.shufflenet_v2_x0_5(), [1, 3, 224, 224]),
    'squeezenet1_1': (lambda: tvm.squeezenet1_1(), [1, 3, 224, 224]),
    'resnet18': (lambda: tvm.resnet18(), [1, 3, 224, 224]),
    'efficientnet_b0': (lambda: tvm.efficientnet_b0(), [1, 3, 224, 224]),
    'regnet_y_400mf': (lambda: tvm.regnet_y_400mf(), [1, 3, 224, 224]),
    'lraspp_mobilenet_v3_large': (lambda: seg.lraspp_mobilenet_v3_large(weights=None, weights_backbone=None), [1, 3, 224, 224]),
    'transformer_encoder': (Encoder, [1, 64, 256]),
    'gru': (Gru, [1, 50, 64]),
}


def main():
    out = sys.argv[1]
    names = sys.argv[2:] or list(MODELS)
    os.makedirs(out, exist_ok=True)
    for name in names:
        path = os.path.join(out, f'{name}.onnx')
        if os.path.exists(path):
            continue
        make, shape = MODELS[name]
        torch.manual_seed(0)
        model = make().eval()
        x = torch.randn(*shape)
        # exported with grad enabled: in no_grad, nn.TransformerEncoder takes a fused fast path
        # (aten::_transformer_encoder_layer_fwd) that torch.onnx cannot export
        if True:
            torch.onnx.export(model, x, path, opset_version=17, input_names=['input'], output_names=['output'],
                              do_constant_folding=True)
        with open(os.path.join(out, f'{name}.json'), 'w') as f:
            json.dump({'shape': shape}, f)
        print(f'exported {name}', flush=True)


if __name__ == '__main__':
    main()
