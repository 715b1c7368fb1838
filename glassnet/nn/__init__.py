"""Neural-network modules (``torch.nn``): Module, Parameter, containers, layers,
losses, ``nn.init``, ``nn.utils`` and ``nn.functional``."""
from __future__ import annotations

from glassnet.nn import functional  # noqa: F401
from glassnet.nn import init  # noqa: F401
from glassnet.nn.module import Module, Parameter, StateDictError  # noqa: F401
from glassnet.nn.container import (  # noqa: F401
    ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential,
)
from glassnet.nn.linear import Bilinear, Flatten, Identity, Linear, Unflatten  # noqa: F401
from glassnet.nn.conv import Conv1d, Conv2d, ConvTranspose2d  # noqa: F401
from glassnet.nn.pooling import (  # noqa: F401
    AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d,
)
from glassnet.nn.norm import (  # noqa: F401
    BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm, LocalResponseNorm,
)
from glassnet.nn.dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d  # noqa: F401
from glassnet.nn.activation import (  # noqa: F401
    CELU, ELU, GELU, GLU, SELU, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU, LogSigmoid,
    LogSoftmax, Mish, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmin, Softplus,
    Softsign, Swish, Tanh, Tanhshrink, Threshold,
)
from glassnet.nn.loss import (  # noqa: F401
    BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CosineSimilarity, CrossEntropyLoss,
    HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss, NLLLoss,
    PairwiseDistance, SmoothL1Loss, SoftMarginLoss, TripletMarginLoss,
)
from glassnet.nn.upsampling import (  # noqa: F401
    PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d,
)
from glassnet.nn import utils  # noqa: F401

# --- torch.nn layers added for issue 9 (h-nnmods): kept in their own block ---------------
from glassnet.nn.activation import Hardshrink, Softmax2d, Softshrink  # noqa: F401
from glassnet.nn.channelshuffle import ChannelShuffle  # noqa: F401
from glassnet.nn.conv import Conv3d, ConvTranspose1d, ConvTranspose3d  # noqa: F401
from glassnet.nn.dropout import Dropout3d, FeatureAlphaDropout  # noqa: F401
from glassnet.nn.fold import Fold, Unfold  # noqa: F401
from glassnet.nn.loss_more import (  # noqa: F401
    GaussianNLLLoss, MultiLabelMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss,
    PoissonNLLLoss, TripletMarginWithDistanceLoss,
)
from glassnet.nn.norm import (  # noqa: F401
    BatchNorm3d, CrossMapLRN2d, InstanceNorm1d, InstanceNorm3d, RMSNorm,
)
from glassnet.nn.pooling import (  # noqa: F401
    AdaptiveAvgPool1d, AdaptiveAvgPool3d, AdaptiveMaxPool1d, AdaptiveMaxPool3d, AvgPool3d,
    LPPool1d, LPPool2d, LPPool3d, MaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d,
)
# --- end of the h-nnmods block -------------------------------------------------------------
# -- lazy modules, padding, parallel (h-nn) -------------------------------------------
from glassnet.nn import parameter  # noqa: F401,E402
from glassnet.nn.parameter import UninitializedBuffer, UninitializedParameter  # noqa: F401,E402
from glassnet.nn.lazy import (  # noqa: F401,E402
    LazyBatchNorm1d, LazyBatchNorm2d, LazyBatchNorm3d, LazyConv1d, LazyConv2d, LazyConv3d,
    LazyConvTranspose1d, LazyConvTranspose2d, LazyConvTranspose3d, LazyInstanceNorm1d,
    LazyInstanceNorm2d, LazyInstanceNorm3d, LazyLinear,
)
from glassnet.nn.padding import (  # noqa: F401,E402
    CircularPad1d, CircularPad2d, CircularPad3d, ConstantPad1d, ConstantPad2d, ConstantPad3d,
    ReflectionPad1d, ReflectionPad2d, ReflectionPad3d, ReplicationPad1d, ReplicationPad2d,
    ReplicationPad3d, ZeroPad1d, ZeroPad2d, ZeroPad3d,
)
from glassnet.nn import parallel  # noqa: F401,E402
from glassnet.nn.parallel import DataParallel  # noqa: F401,E402
from glassnet.nn.syncbatchnorm import SyncBatchNorm  # noqa: F401,E402
# -- sequences
from glassnet.nn.rnn import (  # noqa: F401,E402
    GRU, LSTM, RNN, GRUCell, LSTMCell, RNNBase, RNNCell, RNNCellBase,
)
from glassnet.nn.sparse import Embedding  # noqa: F401,E402
