#!/usr/bin/python3
"""PyTorch side of bench/ml/torch-side-by-side.ts: training samples/s of the same four networks.

Run with Debian's python3 and python3-torch:
  /usr/bin/python3 bench/ml/torch_train_speed.py --nets plain-cnn,bn-cnn --batches 25,64 --threads 1
Prints one JSON object per (net, batch, threads) on stdout. Each timed call trains `steps` steps of
plain SGD (lr 0.01) on a fixed random batch of 28x28x1 images; samples/s from the median call.
"""
import argparse
import json
import time

import torch
import torch.nn as nn


def plain_cnn(w=16):
    # src/ml/zoo/small-cnn.ts
    return nn.Sequential(
        nn.Conv2d(1, w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(w, 2 * w, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2 * w * 7 * 7, 64), nn.ReLU(), nn.Linear(64, 10))


def bn_cnn():
    # bench/ml/torch-side-by-side.ts bnCnn: 3 x (conv - BN - ReLU - max pool), dense head
    layers, cin = [], 1
    for f in (16, 32, 64):
        layers += [nn.Conv2d(cin, f, 3, padding=1, bias=False), nn.BatchNorm2d(f, eps=1e-3),
                   nn.ReLU(), nn.MaxPool2d(2)]
        cin = f
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(64 * 3 * 3, 10))


class ConvBn(nn.Sequential):
    def __init__(self, cin, cout, k, s, relu):
        # 'same' padding: for odd k and stride 2 on even sizes TF pads (0, 1); the cost is alike.
        mods = [nn.Conv2d(cin, cout, k, s, padding=k // 2, bias=False), nn.BatchNorm2d(cout, eps=1e-3)]
        if relu:
            mods.append(nn.ReLU())
        super().__init__(*mods)


class Residual(nn.Module):
    # src/ml/zoo/small-resnet.ts residualBlock
    def __init__(self, cin, cout, s):
        super().__init__()
        self.a = ConvBn(cin, cout, 3, s, True)
        self.b = ConvBn(cout, cout, 3, 1, False)
        self.proj = ConvBn(cin, cout, 1, s, False) if s != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return torch.relu(self.b(self.a(x)) + self.proj(x))


def small_resnet(w=16):
    return nn.Sequential(ConvBn(1, w, 3, 1, True), Residual(w, w, 1), Residual(w, 2 * w, 2),
                         Residual(2 * w, 4 * w, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                         nn.Linear(4 * w, 10))


def mobilenet(w=16):
    # src/ml/zoo/mobilenet-v1.ts
    mods = [nn.Conv2d(1, w, 3, 2, padding=1, bias=False), nn.BatchNorm2d(w, eps=1e-3), nn.ReLU6()]
    cin = w
    for cout, s in ((2 * w, 1), (4 * w, 2), (4 * w, 1)):
        mods += [nn.Conv2d(cin, cin, 3, s, padding=1, groups=cin, bias=False),
                 nn.BatchNorm2d(cin, eps=1e-3), nn.ReLU6(),
                 nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout, eps=1e-3), nn.ReLU6()]
        cin = cout
    return nn.Sequential(*mods, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, 10))


NETS = {'plain-cnn': plain_cnn, 'bn-cnn': bn_cnn, 'small-resnet': small_resnet, 'mobilenet': mobilenet}


def measure(name, batch, steps, reps):
    torch.manual_seed(1)
    model = NETS[name]()
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(batch, 1, 28, 28)
    y = torch.arange(batch) % 10

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(steps):
            step()
        times.append(time.perf_counter() - t)
    times.sort()
    return batch * steps / times[len(times) // 2]


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--nets', default=','.join(NETS))
    p.add_argument('--batches', default='25,64')
    p.add_argument('--threads', default='1')
    p.add_argument('--steps', type=int, default=10)
    p.add_argument('--reps', type=int, default=3)
    a = p.parse_args()
    for threads in (int(t) for t in a.threads.split(',')):
        torch.set_num_threads(threads)
        for name in a.nets.split(','):
            for batch in (int(b) for b in a.batches.split(',')):
                rate = measure(name, batch, a.steps, a.reps)
                print(json.dumps({'net': name, 'batch': batch, 'threads': threads,
                                  'samplesPerSec': rate, 'torch': torch.__version__}), flush=True)


if __name__ == '__main__':
    main()
