"""The training loop: per-epoch train and validation loss and accuracy (the metric names the bot reads)."""
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .model import FashionCnn, build_optimizer

# Metric keys logged per epoch; the run card charts them (services/workflow/stage-steps.ts reads any key).
METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy")


def _loader(x, y, batch_size, shuffle):
    return DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=batch_size, shuffle=shuffle)


def _evaluate(model, loader, loss_fn, device):
    model.eval()
    total_loss, correct, n = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            out = model(x)
            total_loss += loss_fn(out, y).item() * y.numel()
            correct += (out.argmax(dim=1) == y).sum().item()
            n += y.numel()
    return total_loss / max(n, 1), correct / max(n, 1)


def train(args, train_xy, val_xy, on_epoch, seed=0):
    """Trains a FashionCnn with args.lr/epochs/batch_size/optimizer; on_epoch(epoch, metrics) after each epoch."""
    torch.manual_seed(seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = FashionCnn().to(device)
    optimizer = build_optimizer(args.optimizer, model.parameters(), args.lr)
    loss_fn = nn.CrossEntropyLoss()
    train_loader = _loader(*train_xy, args.batch_size, True)
    val_loader = _loader(*val_xy, 512, False)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = loss_fn(model(x.to(device)), y.to(device))
            loss.backward()
            optimizer.step()
        train_loss, train_acc = _evaluate(model, train_loader, loss_fn, device)
        val_loss, val_acc = _evaluate(model, val_loader, loss_fn, device)
        on_epoch(epoch, {"train_loss": train_loss, "train_accuracy": train_acc, "val_loss": val_loss, "val_accuracy": val_acc})
    return model.cpu(), optimizer
