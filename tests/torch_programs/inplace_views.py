"""In-place ops and views inside graphs, as real programs write them: pytorch/examples
fast_neural_style (ReflectionPad2d conv layers, InstanceNorm2d, ``normalize_batch`` doing
``batch.div_(255.0)`` on the network's output, Gram matrices), writes through views of a
tensor being recorded, torch's mixed integer-array/slice indexing, ``masked_fill_`` on a
non-leaf, elementwise functions such as ``sinh``/``cosh`` and NumPy-style ``axis=`` /
``keepdims=`` aliases.

Both runs (torch and glassnet); outputs and gradients are compared.
"""
import torch


class ConvLayer(torch.nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super(ConvLayer, self).__init__()
        reflection_padding = kernel_size // 2
        self.reflection_pad = torch.nn.ReflectionPad2d(reflection_padding)
        self.conv2d = torch.nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        out = self.reflection_pad(x)
        out = self.conv2d(out)
        return out


class TransformerNet(torch.nn.Module):
    def __init__(self):
        super(TransformerNet, self).__init__()
        self.conv1 = ConvLayer(3, 8, kernel_size=3, stride=1)
        self.in1 = torch.nn.InstanceNorm2d(8, affine=True)
        self.conv2 = ConvLayer(8, 3, kernel_size=3, stride=1)
        self.relu = torch.nn.ReLU()

    def forward(self, X):
        y = self.relu(self.in1(self.conv1(X)))
        return self.conv2(y) * 255.0


def normalize_batch(batch):
    # normalize using imagenet mean and std
    mean = batch.new_tensor([0.485, 0.456, 0.406]).view(-1, 1, 1)
    std = batch.new_tensor([0.229, 0.224, 0.225]).view(-1, 1, 1)
    batch = batch.div_(255.0)
    return (batch - mean) / std


def gram_matrix(y):
    (b, ch, h, w) = y.size()
    features = y.view(b, ch, w * h)
    features_t = features.transpose(1, 2)
    gram = features.bmm(features_t) / (ch * h * w)
    return gram


def train_style(transformer, images, style, steps=3, content_weight=1.0, style_weight=10.0):
    optimizer = torch.optim.Adam(transformer.parameters(), 1e-3)
    mse_loss = torch.nn.MSELoss()
    gram_style = gram_matrix(normalize_batch(style.clone()))
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        x = images.clone()
        y = transformer(x)
        y = normalize_batch(y)
        x = normalize_batch(x)
        content_loss = content_weight * mse_loss(y, x)
        style_loss = style_weight * mse_loss(gram_matrix(y), gram_style.expand(len(x), -1, -1))
        total_loss = content_loss + style_loss
        total_loss.backward()
        optimizer.step()
        losses.append((content_loss.item(), style_loss.item()))
    return losses


def view_writes(values):
    a = torch.tensor(values, requires_grad=True)
    b = a * 2
    b[0:2][0] = 100
    b.view(2, 2)[0][0] = 5
    c = b * 1
    c.view(2, 2)[1][1] += 3
    (b * b).sum().backward(retain_graph=True)
    grad_b = a.grad.clone()
    a.grad = None
    (c * a).sum().backward()
    return b.detach(), c.detach(), grad_b, a.grad


def indexing_and_masks(x_values, w_values):
    x = torch.tensor(x_values, requires_grad=True)
    w = torch.tensor(w_values, requires_grad=True)
    picked = x[0, :, [1, 2]]
    h = x.reshape(6, 4) @ w
    mask = h < 0
    h.masked_fill_(mask, 0)
    h[:, 0] *= 2
    out = h.sum() + (picked ** 2).sum()
    out.backward()
    return picked.detach(), h.detach(), x.grad, w.grad


def elementwise(values):
    x = torch.tensor(values, requires_grad=True)
    y = torch.sinh(x) + torch.cosh(x) * torch.tanh(x)
    y = y + torch.asinh(x) + torch.atan2(x, x.abs() + 1) + torch.hypot(x, x + 1)
    y = y + torch.log1p(x.abs()) + torch.expm1(x * 0.5) + torch.erf(x) + torch.rsqrt(x.abs() + 1)
    y = y + torch.logaddexp(x, -x) + x.square() + torch.sigmoid(x).reciprocal()
    y.sum().backward()
    return {
        "y": y.detach(),
        "grad": x.grad,
        "argmax": y.argmax(axis=1),
        "sum": y.sum(axis=0, keepdims=True),
        "mean": y.mean(axis=1),
        "max": y.max(axis=1).values,
        "std": y.std(dim=0, keepdim=True),
    }
