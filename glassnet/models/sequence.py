"""Sequence models: a recurrent classifier that reads an image row by row (sequential
MNIST: 28 steps of 28 pixels), with an LSTM, GRU or plain RNN core."""
from __future__ import annotations

from glassnet import nn
from glassnet.models._registry import register_model

__all__ = ["RowRNNClassifier", "lstm_mnist", "gru_mnist", "rnn_mnist"]

_CORES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class RowRNNClassifier(nn.Module):
    """Classify an image from a recurrent net's last state, one image row per time step.

    Parameters
    ----------
    input_size : int
        Features per step: image width times channels (28 for MNIST).
    hidden_size, num_layers : int
    num_classes : int
    cell : str
        ``'lstm'``, ``'gru'`` or ``'rnn'`` (tanh).
    dropout : float
        Between stacked layers.

    Shape
    -----
    - input: ``(N, C, H, W)`` images (``C * W == input_size``, ``H`` steps) or
      ``(N, L, input_size)`` sequences
    - output: ``(N, num_classes)`` logits from the top layer's last hidden state
    """

    def __init__(self, input_size: int = 28, hidden_size: int = 128, num_layers: int = 1,
                 num_classes: int = 10, cell: str = "lstm", dropout: float = 0.0):
        super().__init__()
        if cell not in _CORES:
            raise ValueError(f"RowRNNClassifier: cell must be one of {', '.join(_CORES)}, got "
                             f"{cell!r}")
        self.cell = cell
        self.rnn = _CORES[cell](input_size, hidden_size, num_layers=num_layers,
                                batch_first=True, dropout=dropout)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        if x.ndim == 4:  # (N, C, H, W) -> rows as steps: (N, H, C * W)
            n, c, h, w = x.shape
            x = x.permute(0, 2, 1, 3).reshape(n, h, c * w)
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


@register_model
def lstm_mnist(num_classes: int = 10, in_channels: int = 1, input_size: int = 28,
               hidden_size: int = 128, num_layers: int = 1, dropout: float = 0.0):
    """One-layer LSTM (hidden 128) reading 28x28 images row by row (sequential MNIST);
    ``input_size`` is the image width (``glassnet train`` passes it), so 8x8 digits work
    too."""
    return RowRNNClassifier(in_channels * input_size, hidden_size, num_layers, num_classes,
                            "lstm", dropout)


@register_model
def gru_mnist(num_classes: int = 10, in_channels: int = 1, input_size: int = 28,
              hidden_size: int = 128, num_layers: int = 1, dropout: float = 0.0):
    """:func:`lstm_mnist` with a GRU core."""
    return RowRNNClassifier(in_channels * input_size, hidden_size, num_layers, num_classes,
                            "gru", dropout)


@register_model
def rnn_mnist(num_classes: int = 10, in_channels: int = 1, input_size: int = 28,
              hidden_size: int = 128, num_layers: int = 1, dropout: float = 0.0):
    """:func:`lstm_mnist` with a plain tanh RNN core."""
    return RowRNNClassifier(in_channels * input_size, hidden_size, num_layers, num_classes,
                            "rnn", dropout)
