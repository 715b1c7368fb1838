"""torchvision models and the multi-weight API, as the torchvision docs use them.

``train_step``: both runs (torch with the stand-in's hand-written resnet18, which has
torchvision's module names; glassnet's resnet18), same weights, one SGD step on four images.
``weights_api``: glassnet only (the stand-in has no weights enums, and the real ones need
the network); the test checks its results against closed forms.
"""
import torch
import torch.nn as nn
import torchvision
from torchvision import models
from torchvision.models import resnet18


def build(num_classes=10):
    return resnet18(weights=None, num_classes=num_classes)


def train_step(model, images, labels, steps=2):
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    model.train()
    losses = []
    for _ in range(steps):
        output = model(images)
        loss = criterion(output, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        logits = model(images)
    return losses, logits


def weights_api(img):
    weights = models.ResNet18_Weights.DEFAULT
    preprocess = weights.transforms()
    batch = preprocess(img).unsqueeze(0)
    model = models.get_model("resnet18", weights=None, num_classes=10)
    model.eval()
    with torch.no_grad():
        prediction = model(batch).squeeze(0).softmax(0)
    return {
        "default_is_v1": weights == models.ResNet18_Weights.IMAGENET1K_V1,
        "by_name": models.get_weight("ResNet18_Weights.IMAGENET1K_V1") is weights,
        "enum": models.get_model_weights("resnet18") is models.ResNet18_Weights,
        "categories": len(weights.meta["categories"]),
        "batch": batch,
        "prediction": prediction,
        "fc": (model.fc.in_features, model.fc.out_features),
        "none_ok": isinstance(models.resnet18(weights=None), torchvision.models.ResNet),
        "listed": "resnet18" in models.list_models(),
    }
