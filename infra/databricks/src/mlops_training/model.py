"""The Fashion-MNIST CNN and the optimizers the `optimizer` parameter names."""
import torch
from torch import nn

# Class names of Fashion-MNIST, in label order (zalandoresearch/fashion-mnist README).
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class FashionCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(32 * 7 * 7, 64), nn.ReLU(), nn.Linear(64, len(CLASSES)))

    def forward(self, x):
        # Accepts N x 784 rows (the scoring contract and the logged signature) as well as N x 1 x 28 x 28.
        return self.head(self.features(x.reshape(-1, 1, 28, 28)))


def build_optimizer(name, params, lr):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    raise ValueError(f"unknown optimizer {name!r} (adam or sgd)")
