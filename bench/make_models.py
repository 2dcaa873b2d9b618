#!/usr/bin/python3
"""Generates the benchmark models and their inputs (bench/README.md). Run by bench/run.sh; nothing it writes is
committed.

    /usr/bin/python3 bench/make_models.py OUT_DIR [--calib-samples N]

Writes, all seeded (the weights are random: these models measure speed, not accuracy):

  OUT_DIR/cnn/model.onnx          ResNet-ish CNN, input [1,3,64,64]: stem conv + maxpool, 4 residual blocks
                                  (3x3 convs, 1x1 strided downsample convs, residual Add + Relu), 11 Conv in all,
                                  GlobalAveragePool, Flatten, Gemm -> [1,10]. Exported by torch (BatchNorm folded).
  OUT_DIR/cnn/sample/input.npy    one random input
  OUT_DIR/cnn/calib/sample_NNN/   N random inputs (default 64) for timing calibration
  OUT_DIR/mlp/model.onnx          MLP of MatMul/Add/Relu: [8,512] -> 1024 -> 1024 -> 10 (onnx.helper)
  OUT_DIR/mlp/sample/input.npy
  OUT_DIR/tiny/model.onnx         one Add of a [1,16] constant: the per-call floor of each runtime
  OUT_DIR/tiny/sample/input.npy

and the models of issue 6's speed table (exported by torch.onnx, random seeded weights, batch 1):

  OUT_DIR/<name>/model.onnx, OUT_DIR/<name>/sample/input.npy for
    resnet18, mobilenet_v2, shufflenet_v2_x1_0, efficientnet_b0, squeezenet1_1   torchvision, [1,3,224,224], opset 13
    transformer   2-layer nn.TransformerEncoder (d_model 256, 4 heads, ffn 1024), [1,32,256], opset 17
    lstm          2-layer nn.LSTM (input 64, hidden 256), [32,1,64] (seq, batch, feature), opset 13
  (--zoo-only skips the small models; --no-zoo skips these.)

Needs Debian's python3-torch, python3-torchvision, python3-onnx and python3-numpy (use /usr/bin/python3).
"""
import argparse
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper


class Block(torch.nn.Module):
    """Basic ResNet block: conv-bn-relu, conv-bn, + shortcut (1x1 strided conv when the shape changes), relu."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = torch.nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = torch.nn.BatchNorm2d(cout)
        self.c2 = torch.nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = torch.nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = torch.nn.Sequential(torch.nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            torch.nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        s = x if self.down is None else self.down(x)
        return torch.relu(y + s)


class Cnn(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, 32, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(32),
                                        torch.nn.ReLU(), torch.nn.MaxPool2d(2))
        self.blocks = torch.nn.Sequential(Block(32, 32, 1), Block(32, 64, 2), Block(64, 128, 2), Block(128, 128, 1))
        self.pool = torch.nn.AdaptiveAvgPool2d(1)
        self.fc = torch.nn.Linear(128, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


def randomize_bn(model, gen):
    # Non-trivial BatchNorm statistics, so that folding them into the convs gives realistic weights.
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)


def save_npy(path, a):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    np.save(path, np.ascontiguousarray(a))


def make_cnn(out, n_calib, rng):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = Cnn()
    randomize_bn(model, gen)
    model.eval()
    x = torch.from_numpy(rng.standard_normal((1, 3, 64, 64)).astype(np.float32))
    path = os.path.join(out, 'cnn', 'model.onnx')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with torch.no_grad():
        torch.onnx.export(model, x, path, input_names=['input'], output_names=['logits'], opset_version=13,
                          do_constant_folding=True, training=torch.onnx.TrainingMode.EVAL)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ops = [n.op_type for n in m.graph.node]
    assert ops.count('Conv') == 11 and 'BatchNormalization' not in ops, ops
    save_npy(os.path.join(out, 'cnn', 'sample', 'input.npy'), x.numpy())
    for i in range(n_calib):
        save_npy(os.path.join(out, 'cnn', 'calib', 'sample_%03d' % i, 'input.npy'),
                 rng.standard_normal((1, 3, 64, 64)).astype(np.float32))
    return ops


def make_mlp(out, rng):
    sizes = [512, 1024, 1024, 10]
    batch = 8
    inits, nodes = [], []
    cur = 'input'
    for i in range(len(sizes) - 1):
        w = (rng.standard_normal((sizes[i], sizes[i + 1])) / np.sqrt(sizes[i])).astype(np.float32)
        b = (rng.standard_normal(sizes[i + 1]) * 0.1).astype(np.float32)
        inits += [numpy_helper.from_array(w, 'w%d' % i), numpy_helper.from_array(b, 'b%d' % i)]
        last = i == len(sizes) - 2
        nodes.append(helper.make_node('MatMul', [cur, 'w%d' % i], ['mm%d' % i]))
        nodes.append(helper.make_node('Add', ['mm%d' % i, 'b%d' % i], ['logits' if last else 'add%d' % i]))
        if not last:
            nodes.append(helper.make_node('Relu', ['add%d' % i], ['relu%d' % i]))
            cur = 'relu%d' % i
    graph = helper.make_graph(nodes, 'mlp', [helper.make_tensor_value_info('input', TensorProto.FLOAT, [batch, 512])],
                              [helper.make_tensor_value_info('logits', TensorProto.FLOAT, [batch, 10])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='onnxq-bench')
    m.ir_version = 7
    onnx.checker.check_model(m)
    os.makedirs(os.path.join(out, 'mlp'), exist_ok=True)
    onnx.save(m, os.path.join(out, 'mlp', 'model.onnx'))
    save_npy(os.path.join(out, 'mlp', 'sample', 'input.npy'), rng.standard_normal((batch, 512)).astype(np.float32))


def make_tiny(out, rng):
    c = numpy_helper.from_array(np.arange(16, dtype=np.float32).reshape(1, 16), 'c')
    graph = helper.make_graph([helper.make_node('Add', ['input', 'c'], ['output'])], 'tiny',
                              [helper.make_tensor_value_info('input', TensorProto.FLOAT, [1, 16])],
                              [helper.make_tensor_value_info('output', TensorProto.FLOAT, [1, 16])], [c])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='onnxq-bench')
    m.ir_version = 7
    onnx.checker.check_model(m)
    os.makedirs(os.path.join(out, 'tiny'), exist_ok=True)
    onnx.save(m, os.path.join(out, 'tiny', 'model.onnx'))
    save_npy(os.path.join(out, 'tiny', 'sample', 'input.npy'), rng.standard_normal((1, 16)).astype(np.float32))


class Lstm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = torch.nn.LSTM(64, 256, num_layers=2)

    def forward(self, x):
        return self.lstm(x)[0]


# name -> (constructor, input shape, opset)
ZOO = {
    'resnet18': (lambda: __import__('torchvision').models.resnet18(), (1, 3, 224, 224), 13),
    'mobilenet_v2': (lambda: __import__('torchvision').models.mobilenet_v2(), (1, 3, 224, 224), 13),
    'shufflenet_v2_x1_0': (lambda: __import__('torchvision').models.shufflenet_v2_x1_0(), (1, 3, 224, 224), 13),
    'efficientnet_b0': (lambda: __import__('torchvision').models.efficientnet_b0(), (1, 3, 224, 224), 13),
    'squeezenet1_1': (lambda: __import__('torchvision').models.squeezenet1_1(), (1, 3, 224, 224), 13),
    'transformer': (lambda: torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(256, 4, 1024, dropout=0.0, batch_first=True), 2), (1, 32, 256), 17),
    'lstm': (Lstm, (32, 1, 64), 13),
}


def make_zoo(out, rng, only=None):
    for k, (name, (make, shape, opset)) in enumerate(ZOO.items()):
        if only and name not in only:
            continue
        torch.manual_seed(100 + k)
        model = make().eval()
        randomize_bn(model, torch.Generator().manual_seed(k))
        x = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
        path = os.path.join(out, name, 'model.onnx')
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # with gradients on, nn.TransformerEncoderLayer takes its plain path (the fused fast path has no export)
        torch.onnx.export(model, x, path, input_names=['input'], output_names=['output'], opset_version=opset,
                          do_constant_folding=True)
        save_npy(os.path.join(out, name, 'sample', 'input.npy'), x.numpy())
        print(name, end=' ', flush=True)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('out')
    ap.add_argument('--calib-samples', type=int, default=64)
    ap.add_argument('--zoo-only', action='store_true')
    ap.add_argument('--no-zoo', action='store_true')
    ap.add_argument('--only', nargs='*', help='zoo models to make (default all)')
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    if not args.zoo_only:
        ops = make_cnn(args.out, args.calib_samples, rng)
        make_mlp(args.out, rng)
        make_tiny(args.out, rng)
        print('cnn: %d nodes (%s); mlp; tiny -> %s' % (len(ops), ' '.join(sorted(set(ops))), args.out))
    if not args.no_zoo:
        make_zoo(args.out, np.random.default_rng(1), args.only)


if __name__ == '__main__':
    main()
