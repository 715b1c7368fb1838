"""A torch.utils.data pipeline: a custom Dataset returning ``(tensor, label)``,
``random_split`` with a seeded ``torch.Generator``, ``ConcatDataset``, ``TensorDataset``,
a ``DataLoader`` with ``drop_last`` and a custom ``collate_fn``, and the indices a
``DistributedSampler`` gives each rank.

Both runs (torch and glassnet); the split's order is the generator's, so the test compares
what does not depend on the random stream, and trains on the unsplit data.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import ConcatDataset, DataLoader, Dataset, TensorDataset, random_split
from torch.utils.data.distributed import DistributedSampler


class DigitsDataset(Dataset):
    def __init__(self, images, labels, transform=None):
        self.images = images
        self.labels = labels
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, idx):
        image = torch.from_numpy(self.images[idx]).float() / 16.0
        if self.transform:
            image = self.transform(image)
        return image, int(self.labels[idx])


def collate(batch):
    images, labels = zip(*batch)
    return torch.stack(images).view(len(images), -1), torch.tensor(labels)


def splits(images, labels):
    dataset = DigitsDataset(images, labels)
    generator = torch.Generator().manual_seed(42)
    train_set, val_set = random_split(dataset, [0.75, 0.25], generator=generator)
    again = random_split(dataset, [0.75, 0.25], generator=torch.Generator().manual_seed(42))
    sampler = DistributedSampler(dataset, num_replicas=2, rank=0, shuffle=False)
    other = DistributedSampler(dataset, num_replicas=2, rank=1, shuffle=False)
    return {
        "sizes": (len(train_set), len(val_set)),
        "indices": (list(train_set.indices), list(val_set.indices)),
        "reproducible": list(again[0].indices) == list(train_set.indices),
        "rank0": list(sampler), "rank1": list(other), "len": len(sampler),
    }


def train(images, labels, extra_x, extra_y, model, epochs=2):
    dataset = ConcatDataset([DigitsDataset(images, labels),
                             TensorDataset(extra_x, extra_y)])
    loader = DataLoader(dataset, batch_size=24, shuffle=False, num_workers=0,
                        drop_last=True, collate_fn=collate)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2)
    losses, sizes = [], []
    for epoch in range(epochs):
        for inputs, targets in loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(inputs), targets)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            sizes.append(tuple(inputs.shape))
    return losses, sizes, len(loader), len(dataset)


def build():
    return nn.Sequential(nn.Linear(64, 32), nn.Tanh(), nn.Linear(32, 10))
