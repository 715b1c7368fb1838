"""Training: the Trainer loop, callbacks, metrics and transfer-learning helpers."""
from glassnet.train.callbacks import (  # noqa: F401
    Callback, EarlyStopping, MetricLogger, ModelCheckpoint, StatsLogger, TensorBoardLogger,
)
from glassnet.train.metrics import (  # noqa: F401
    MetricAccumulator, accuracy, classification_report, confusion_matrix, precision_recall_f1,
    topk_accuracy,
)
from glassnet.train.trainer import (Trainer, TrainingDiverged, TrainingInterrupted,  # noqa: F401
                                    evaluate)
from glassnet.train.transfer import freeze, replace_head, trainable_parameters, unfreeze  # noqa
