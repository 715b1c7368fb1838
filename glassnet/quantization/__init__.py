"""``glassnet.quantization``: int8 quantisation with ``torch.ao.quantization``'s names
(observers, fake-quant for quantisation-aware training, integer Linear/Conv2d and
post-training quantisation), and the weight sharing (k-means), Huffman coding and storage
accounting of Deep Compression (:mod:`glassnet.quantization.deep_compression` runs the
pipeline).

Examples
--------
>>> import glassnet
>>> from glassnet.quantization import MinMaxObserver
>>> obs = MinMaxObserver(dtype="qint8", qscheme="per_tensor_symmetric")
>>> _ = obs(glassnet.tensor([-2.0, 0.5, 1.0]))
>>> round(obs.calculate_qparams()[0].item(), 6)
0.015686
"""
from glassnet.quantization.fake_quantize import (  # noqa: F401
    FakeQuantize, default_fake_quant, default_per_channel_weight_fake_quant,
    default_weight_fake_quant, fake_quantize_per_channel_affine, fake_quantize_per_tensor_affine,
)
from glassnet.quantization.huffman import HuffmanCode, huffman_decode, huffman_encode  # noqa: F401
from glassnet.quantization.observer import (  # noqa: F401
    MinMaxObserver, MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver,
    PercentileObserver, PerChannelMinMaxObserver, per_channel_affine, per_channel_symmetric,
    per_tensor_affine, per_tensor_symmetric, qint8, qint32, quint8,
)
from glassnet.quantization.quantized import (  # noqa: F401
    QuantizedConv2d, QuantizedLinear, dequantize, int8_matmul, quantize_model,
    quantize_per_channel, quantize_per_tensor,
)
from glassnet.quantization.storage import (  # noqa: F401
    LayerStorage, compression_table, layer_storage, relative_index_decode,
    relative_index_encode,
)
from glassnet.quantization.weight_sharing import (  # noqa: F401
    SharedWeight, WeightSharing, apply_weight_sharing, is_weight_shared, kmeans_1d,
    remove_weight_sharing, shared_weight,
)

__all__ = [
    "FakeQuantize",
    "default_fake_quant",
    "default_per_channel_weight_fake_quant",
    "default_weight_fake_quant",
    "fake_quantize_per_channel_affine",
    "fake_quantize_per_tensor_affine",
    "MinMaxObserver",
    "MovingAverageMinMaxObserver",
    "MovingAveragePerChannelMinMaxObserver",
    "PercentileObserver",
    "PerChannelMinMaxObserver",
    "per_channel_affine",
    "per_channel_symmetric",
    "per_tensor_affine",
    "per_tensor_symmetric",
    "qint8",
    "qint32",
    "quint8",
    "QuantizedConv2d",
    "QuantizedLinear",
    "dequantize",
    "int8_matmul",
    "quantize_model",
    "quantize_per_channel",
    "quantize_per_tensor",
    "LayerStorage",
    "compression_table",
    "layer_storage",
    "relative_index_decode",
    "relative_index_encode",
    "SharedWeight",
    "WeightSharing",
    "apply_weight_sharing",
    "is_weight_shared",
    "kmeans_1d",
    "remove_weight_sharing",
    "shared_weight",
    "HuffmanCode",
    "huffman_decode",
    "huffman_encode",
]
