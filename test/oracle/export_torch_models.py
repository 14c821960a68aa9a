#!/usr/bin/env python3
"""Export small PyTorch models to ONNX at a seeded init, with expected outputs computed by torch.

Usage: export_torch_models.py OUT_DIR
Writes OUT_DIR/test_torch_<name>/model.onnx and test_data_set_0/{input,output}_N.pb (the ONNX
backend-test layout). Needs torch 1.13 and torchvision 0.14 (Debian's python3-torch, -torchvision).
"""
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn.functional as F
import torchvision

OPSET = 17


class LstmTagger(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(6, 8, num_layers=2, bidirectional=True, batch_first=True)
        self.head = torch.nn.Linear(16, 4)

    def forward(self, x):
        y, (h, c) = self.lstm(x)
        return self.head(y), h, c


class GruEncoder(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = torch.nn.GRU(5, 7, num_layers=2, bidirectional=True, batch_first=True)
        self.head = torch.nn.Linear(14, 3)

    def forward(self, x):
        y, h = self.gru(x)
        return self.head(y), h


def base_grid(h, w, align_corners):
    """affine_grid's normalised (x, y, 1) sampling points; torch 1.13 cannot export
    aten::affine_grid_generator, so the grid is this constant times theta (what affine_grid computes)."""
    def axis(n):
        v = torch.linspace(-1, 1, n)
        return v if align_corners else v * (n - 1) / n
    ys, xs = torch.meshgrid(axis(h), axis(w), indexing='ij')
    return torch.stack([xs, ys, torch.ones_like(xs)], dim=-1).reshape(1, h * w, 3)


class Warp(torch.nn.Module):
    """A spatial transformer: a predicted affine transform, the affine grid, then grid_sample."""

    def __init__(self, align_corners):
        super().__init__()
        self.align = align_corners
        self.loc = torch.nn.Linear(3 * 6 * 5, 6)
        torch.nn.init.normal_(self.loc.weight, std=0.05)
        with torch.no_grad():
            self.loc.bias.copy_(torch.tensor([0.9, 0.1, 0.05, -0.1, 1.1, -0.05]))

    def forward(self, img):
        theta = self.loc(img.flatten(1)).view(-1, 2, 3)
        grid = torch.matmul(base_grid(4, 7, self.align), theta.transpose(1, 2)).view(-1, 4, 7, 2)
        # the same points as affine_grid (checked against it below, outside the exported graph)
        return F.grid_sample(img, grid, mode='bilinear', padding_mode='zeros', align_corners=self.align)


class DetectionPostprocess(torch.nn.Module):
    """A detection head's post-processing: box-delta decoding against anchors, a score threshold
    (boolean mask, so NonZero), then torchvision.ops.batched_nms (NonMaxSuppression)."""

    def __init__(self, num_classes=3):
        super().__init__()
        self.cls = torch.nn.Linear(8, num_classes)
        self.reg = torch.nn.Linear(8, 4)

    def forward(self, feats, anchors):
        scores_all = torch.sigmoid(self.cls(feats))            # [N, C]
        deltas = self.reg(feats) * 0.2                          # [N, 4]
        widths = anchors[:, 2] - anchors[:, 0]
        heights = anchors[:, 3] - anchors[:, 1]
        cx = anchors[:, 0] + 0.5 * widths + deltas[:, 0] * widths
        cy = anchors[:, 1] + 0.5 * heights + deltas[:, 1] * heights
        w = widths * torch.exp(deltas[:, 2])
        h = heights * torch.exp(deltas[:, 3])
        boxes = torch.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h], dim=1)
        scores, labels = scores_all.max(dim=1)
        keep = torch.nonzero(scores > 0.55).squeeze(1)
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        kept = torchvision.ops.batched_nms(boxes, scores, labels, 0.3)
        return boxes[kept], scores[kept], labels[kept]


def anchors(n, gen):
    xy = torch.rand(n, 2, generator=gen) * 16
    wh = torch.rand(n, 2, generator=gen) * 12 + 4
    return torch.cat([xy, xy + wh], dim=1)


def cases():
    gen = torch.Generator().manual_seed(7)
    yield 'lstm_bidirectional_2layer', LstmTagger, (torch.randn(2, 5, 6, generator=gen),), \
        ['x'], ['y', 'h', 'c'], {'x': {0: 'batch', 1: 'time'}, 'y': {0: 'batch', 1: 'time'}}
    yield 'gru_bidirectional_2layer', GruEncoder, (torch.randn(3, 4, 5, generator=gen),), \
        ['x'], ['y', 'h'], {'x': {0: 'batch', 1: 'time'}, 'y': {0: 'batch', 1: 'time'}}
    img = torch.randn(2, 3, 6, 5, generator=gen)
    yield 'grid_sample_bilinear', lambda: Warp(False), (img,), ['img'], ['warped'], None
    yield 'grid_sample_bilinear_align_corners', lambda: Warp(True), (img,), ['img'], ['warped'], None
    yield 'detection_postprocess_nms', DetectionPostprocess, \
        (torch.randn(24, 8, generator=gen), anchors(24, gen)), ['feats', 'anchors'], ['boxes', 'scores', 'labels'], \
        {'feats': {0: 'n'}, 'anchors': {0: 'n'}}


def save(path, array):
    with open(path, 'wb') as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(array)).SerializeToString())


def main(out_dir):
    for name, make, args, in_names, out_names, dyn in cases():
        torch.manual_seed(0)  # the weights: each model initialised from the same seed
        model = make().eval()
        folder = os.path.join(out_dir, f'test_torch_{name}')
        data = os.path.join(folder, 'test_data_set_0')
        os.makedirs(data, exist_ok=True)
        with torch.no_grad():
            expected = model(*args)
            if isinstance(model, Warp):
                theta = model.loc(args[0].flatten(1)).view(-1, 2, 3)
                ref = F.grid_sample(args[0], F.affine_grid(theta, [2, 3, 4, 7], align_corners=model.align),
                                    mode='bilinear', align_corners=model.align)
                assert torch.allclose(ref, expected, atol=1e-6), 'hand-built grid differs from affine_grid'
        expected = expected if isinstance(expected, tuple) else (expected,)
        torch.onnx.export(model, args, os.path.join(folder, 'model.onnx'), opset_version=OPSET,
                          input_names=in_names, output_names=out_names, dynamic_axes=dyn)
        onnx.checker.check_model(os.path.join(folder, 'model.onnx'))
        for i, a in enumerate(args):
            save(os.path.join(data, f'input_{i}.pb'), a.numpy())
        for i, e in enumerate(expected):
            save(os.path.join(data, f'output_{i}.pb'), e.numpy())
        ops = sorted({n.op_type for n in onnx.load(os.path.join(folder, 'model.onnx')).graph.node})
        print(f'{name}: {" ".join(ops)}; outputs {[tuple(e.shape) for e in expected]}')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: export_torch_models.py OUT_DIR')
    main(sys.argv[1])
