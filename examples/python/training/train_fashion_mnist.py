"""Trains the Fashion-MNIST QCFS network of the examples on the CPU and saves its state dict.

    python3 training/train_fashion_mnist.py --epochs 4 --out training/fashion_mnist_qcfs.pt

Needs torch and the dataset (Debian: ``apt-get install python3-torch dataset-fashion-mnist``). Then
export it: ``python3 -m gnruntime export training/fashion_mnist_qcfs.pt gnruntime/data/fashion-mnist-qcfs.gnrt``.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gnruntime import fashion_mnist  # noqa: E402
from gnruntime.qcfs import fashion_mnist_net  # noqa: E402


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int = 1000) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for start in range(0, len(images), batch):
            correct += (model(images[start:start + batch]).argmax(1) == labels[start:start + batch]).sum().item()
    return correct / len(images)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="folder of the IDX files (default: Debian's)")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--levels", type=int, default=4, help="QCFS levels L")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("training/fashion_mnist_qcfs.pt"))
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    train_x, train_y = (torch.from_numpy(a) for a in fashion_mnist.load("train", args.data))
    test_x, test_y = (torch.from_numpy(a) for a in fashion_mnist.load("test", args.data))
    model = fashion_mnist_net(args.levels)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    steps = args.epochs * ((len(train_x) + args.batch - 1) // args.batch)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, total_steps=steps)
    loss_function = nn.CrossEntropyLoss()
    log = []
    started = time.time()
    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(train_x))
        total = 0.0
        for start in range(0, len(train_x), args.batch):
            index = order[start:start + args.batch]
            optimizer.zero_grad()
            loss = loss_function(model(train_x[index]), train_y[index])
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(index)
        test = accuracy(model, test_x, test_y)
        log.append({"epoch": epoch + 1, "train_loss": total / len(train_x), "test_accuracy": test,
                    "seconds": round(time.time() - started, 1)})
        print(json.dumps(log[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"state_dict": model.state_dict(), "levels": args.levels, "log": log,
                "command": " ".join(sys.argv)}, args.out)
    thresholds = [float(m.v_threshold) for m in model.modules() if hasattr(m, "v_threshold")]
    print(json.dumps({"saved": str(args.out), "test_accuracy": log[-1]["test_accuracy"],
                      "thresholds": np.round(thresholds, 4).tolist()}))


if __name__ == "__main__":
    main()
