"""``glassnet.quantization``: weight sharing (k-means), Huffman coding and the storage
accounting of Deep Compression, plus int8 quantisation (observers, fake-quant, integer
Linear/Conv2d) with ``torch.ao.quantization``'s names."""
from glassnet.quantization.huffman import HuffmanCode, huffman_decode, huffman_encode  # noqa: F401
from glassnet.quantization.storage import (  # noqa: F401
    LayerStorage, compression_table, layer_storage, relative_index_decode,
    relative_index_encode,
)
from glassnet.quantization.weight_sharing import (  # noqa: F401
    SharedWeight, WeightSharing, apply_weight_sharing, is_weight_shared, kmeans_1d,
    remove_weight_sharing, shared_weight,
)
