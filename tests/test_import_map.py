"""The import map, as a tested contract: every PyTorch / torchvision / OpenCV import path
has a glassnet path holding the same names (README, "Porting from PyTorch").

``IMPORT_MAP`` is one row per import path: ``(reference path, glassnet path, names)``.
A name is a string when both sides spell it the same, or a ``(reference, glassnet)`` pair
when they differ (OpenCV's CamelCase -> glassnet.cv's snake_case).  The glassnet side is
always checked; the reference side where its package is installed.  To add a row, append
it to the table.
"""
import importlib
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

IMPORT_MAP = [
    ("torch", "glassnet",
     ["Tensor", "tensor", "from_numpy", "zeros", "ones", "full", "arange", "linspace",
      "rand", "randn", "randint", "randperm", "manual_seed", "Generator", "no_grad",
      "enable_grad", "inference_mode", "float32", "float64", "int64", "uint8", "bool", "cat",
      "stack", "where", "matmul", "save", "load", "device", "nn", "optim", "utils"]),
    ("torch.nn", "glassnet.nn",
     ["Module", "Parameter", "Sequential", "ModuleList", "ModuleDict", "Identity", "Flatten",
      "Linear", "Conv2d", "ConvTranspose2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d",
      "BatchNorm1d", "BatchNorm2d", "LayerNorm", "GroupNorm", "Dropout", "ReLU", "Sigmoid",
      "Tanh", "Softmax", "CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss", "functional",
      "init", "utils"]),
    ("torch.nn.functional", "glassnet.nn.functional",
     ["relu", "sigmoid", "softmax", "log_softmax", "linear", "conv2d", "max_pool2d",
      "avg_pool2d", "adaptive_avg_pool2d", "batch_norm", "layer_norm", "dropout",
      "interpolate", "pad", "cross_entropy", "nll_loss", "mse_loss",
      "binary_cross_entropy_with_logits"]),
    ("torch.optim", "glassnet.optim",
     ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "NAdam",
      "LBFGS", "lr_scheduler"]),
    ("torch.optim.lr_scheduler", "glassnet.optim.lr_scheduler",
     ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
      "OneCycleLR", "ReduceLROnPlateau", "LambdaLR"]),
    ("torch.nn.init", "glassnet.nn.init",
     ["kaiming_uniform_", "kaiming_normal_", "xavier_uniform_", "xavier_normal_", "normal_",
      "uniform_", "constant_", "zeros_", "ones_", "orthogonal_", "trunc_normal_"]),
    ("torch.nn.utils", "glassnet.nn.utils",
     ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]),
    ("torch.nn.parallel", "glassnet.nn.parallel", ["DataParallel"]),
    ("torch.nn.parameter", "glassnet.nn.parameter",
     ["Parameter", "UninitializedParameter", "UninitializedBuffer"]),
    ("torch.linalg", "glassnet.linalg",
     ["vector_norm", "matrix_norm", "norm", "inv", "det", "slogdet", "solve", "svdvals",
      "cross", "diagonal", "matmul", "vecdot"]),
    ("torch.autograd", "glassnet.autograd",
     ["Function", "backward", "no_grad", "enable_grad", "set_grad_enabled",
      "inference_mode"]),
    ("torch.serialization", "glassnet.serialization",
     ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
      "safe_globals"]),
    ("torch.hub", "glassnet.hub",
     ["get_dir", "download_url_to_file", "load_state_dict_from_url"]),
    ("torch.cuda", "glassnet.cuda",
     ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
      "empty_cache"]),
    ("torch.accelerator", "glassnet.accelerator",
     ["is_available", "current_accelerator", "device_count", "synchronize"]),
    ("torch.backends.cudnn", "glassnet.backends.cudnn",
     ["is_available", "version", "enabled", "benchmark", "deterministic", "allow_tf32"]),
    ("torch.backends.mps", "glassnet.backends.mps", ["is_available", "is_built"]),
    ("torch.multiprocessing", "glassnet.multiprocessing",
     ["Process", "Queue", "Pool", "spawn", "get_context", "set_start_method",
      "get_start_method", "cpu_count", "get_sharing_strategy", "set_sharing_strategy",
      "get_all_sharing_strategies"]),
    ("torch.distributed", "glassnet.distributed",
     ["is_available", "is_initialized", "get_rank", "get_world_size",
      "init_process_group"]),
    ("torch.utils.data", "glassnet.utils.data",
     ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset",
      "Subset", "random_split", "DataLoader", "get_worker_info", "default_collate",
      "default_convert", "Sampler", "SequentialSampler", "RandomSampler",
      "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DistributedSampler"]),
    ("torch.utils.data.distributed", "glassnet.utils.data.distributed",
     ["DistributedSampler"]),
    ("torchvision", "glassnet.vision",
     ["models", "transforms", "datasets", "ops", "utils", "io"]),
    ("torchvision.models", "glassnet.vision.models",
     ["resnet18", "resnet34", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "vgg11",
      "vgg16_bn", "alexnet", "googlenet", "mobilenet_v2", "ResNet", "VGG", "get_model",
      "list_models"]),
    ("torchvision.transforms", "glassnet.vision.transforms",
     ["Compose", "ToTensor", "PILToTensor", "ToPILImage", "Normalize", "Resize",
      "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop", "RandomHorizontalFlip",
      "RandomVerticalFlip", "RandomRotation", "RandomAffine", "ColorJitter", "Grayscale",
      "RandomGrayscale", "GaussianBlur", "RandomErasing", "Lambda", "RandomApply",
      "RandomChoice", "RandomOrder", "InterpolationMode", "functional"]),
    ("torchvision.datasets", "glassnet.vision.datasets",
     ["MNIST", "FashionMNIST", "CIFAR10", "CIFAR100", "ImageFolder", "DatasetFolder",
      "VisionDataset"]),
    ("torchvision.ops", "glassnet.vision.ops",
     ["box_area", "box_convert", "box_iou", "generalized_box_iou", "distance_box_iou",
      "complete_box_iou", "generalized_box_iou_loss", "clip_boxes_to_image",
      "remove_small_boxes", "nms", "batched_nms", "roi_pool", "roi_align", "RoIPool",
      "RoIAlign", "MultiScaleRoIAlign", "sigmoid_focal_loss"]),
    ("torchvision.utils", "glassnet.vision.utils", ["make_grid", "save_image"]),
    ("torchvision.io", "glassnet.vision.io",
     ["ImageReadMode", "read_image", "decode_image", "decode_png", "decode_jpeg",
      "encode_png", "encode_jpeg", "write_png", "write_jpeg", "read_file", "write_file"]),
    ("cv2", "glassnet.cv",
     [("Canny", "canny"), ("GaussianBlur", "gaussian_blur"), ("getGaussianKernel",
      "get_gaussian_kernel"), ("blur", "blur"), ("boxFilter", "box_filter"),
      ("medianBlur", "median_blur"), ("bilateralFilter", "bilateral_filter"),
      ("filter2D", "filter2d"), ("Sobel", "sobel"), ("Scharr", "scharr"),
      ("Laplacian", "laplacian"), ("getDerivKernels", "get_deriv_kernels"),
      ("HoughLines", "hough_lines"), ("HoughLinesP", "hough_lines_p"),
      ("calcHist", "calc_hist"), ("equalizeHist", "equalize_hist"),
      ("copyMakeBorder", "copy_make_border"), ("borderInterpolate", "border_interpolate"),
      ("imread", "read_image"), ("imwrite", "write_image"), "BORDER_CONSTANT",
      "BORDER_REPLICATE", "BORDER_REFLECT", "BORDER_WRAP", "BORDER_REFLECT_101",
      "BORDER_DEFAULT", "BORDER_ISOLATED"]),
]

ROWS = [pytest.param(ref, ours, names, id=ref) for ref, ours, names in IMPORT_MAP]


def _pairs(names):
    return [(n, n) if isinstance(n, str) else tuple(n) for n in names]


@pytest.mark.parametrize("ref_path, our_path, names", ROWS)
def test_glassnet_path_has_the_names(ref_path, our_path, names):
    module = importlib.import_module(our_path)
    missing = [ours for _, ours in _pairs(names) if not hasattr(module, ours)]
    assert not missing, f"{our_path} (for {ref_path}) lacks {missing}"


@pytest.mark.parametrize("ref_path, our_path, names", ROWS)
def test_reference_path_has_the_names(ref_path, our_path, names):
    if importlib.util.find_spec(ref_path.split(".")[0]) is None:
        pytest.skip(f"{ref_path.split('.')[0]} is not installed")
    module = importlib.import_module(ref_path)
    missing = [ref for ref, _ in _pairs(names) if not hasattr(module, ref)]
    assert not missing, f"{ref_path} lacks {missing}: the row's names are not its API"


def test_every_path_resolves_by_attribute_from_a_fresh_import():
    # ``import glassnet as torch; torch.utils.data.DataLoader`` and ``import glassnet.vision
    # as torchvision; torchvision.io.read_image`` go through the lazy __getattr__s: check
    # each row's path and names by attribute access in a fresh interpreter.
    rows = [(ours, [o for _, o in _pairs(names)]) for _, ours, names in IMPORT_MAP]
    script = (
        "import functools, json, sys\n"
        "import glassnet\n"
        "bad = []\n"
        "for path, names in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        mod = functools.reduce(getattr, path.split('.')[1:], glassnet)\n"
        "        bad += [f'{path}.{n}' for n in names if not hasattr(mod, n)]\n"
        "    except AttributeError as exc:\n"
        "        bad.append(f'{path}: {exc}')\n"
        "print(json.dumps(bad))\n")
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script, json.dumps(rows)], cwd=repo,
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(repo)})
    assert json.loads(out.stdout) == []


def test_import_glassnet_stays_light():
    # Pillow, matplotlib, scikit-learn (and torch) load only when a feature needs them.
    script = ("import sys, glassnet, glassnet.vision, glassnet.utils, glassnet.models\n"
              "heavy = ('PIL', 'matplotlib', 'sklearn', 'torch', 'torchvision', 'cv2')\n"
              "print(sorted(m for m in heavy if m in sys.modules))\n")
    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], cwd=repo, capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": str(repo)})
    assert out.stdout.strip() == "[]"
