"""Detection models (``torchvision.models.detection``): RetinaNet (one stage) and Faster
R-CNN (two stages), with ``retinanet_small`` and ``fasterrcnn_small`` for small grey
images such as :class:`~glassnet.vision.datasets.MNISTDetection`."""
from glassnet.vision.models.detection._utils import (BackboneWithFPN,  # noqa: F401
                                                     FeaturePyramidNetwork, SmallBackbone)
from glassnet.vision.models.detection.faster_rcnn import (  # noqa: F401
    FasterRCNN, FastRCNNPredictor, RegionProposalNetwork, RoIHeads, RPNHead, TwoMLPHead,
    fasterrcnn_small)
from glassnet.vision.models.detection.retinanet import (  # noqa: F401
    RetinaNet, RetinaNetClassificationHead, RetinaNetHead, RetinaNetRegressionHead,
    retinanet_small)
