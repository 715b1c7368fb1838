"""The stateless neural-network API, with ``torch.nn.functional``'s names and semantics.

Each family lives in :mod:`glassnet.nn._functional` (conv, pool, sampling, activation,
softmax, shrink, norm, dropout, loss); this module re-exports them so users write ``F.conv2d``.
"""
from __future__ import annotations

from glassnet.nn._functional.activation import *  # noqa: F401,F403
from glassnet.nn._functional.conv import *  # noqa: F401,F403
from glassnet.nn._functional.dropout import *  # noqa: F401,F403
from glassnet.nn._functional.loss import *  # noqa: F401,F403
from glassnet.nn._functional.distance import *  # noqa: F401,F403
from glassnet.nn._functional.loss_more import *  # noqa: F401,F403
from glassnet.nn._functional.norm import *  # noqa: F401,F403
from glassnet.nn._functional.pool import *  # noqa: F401,F403
from glassnet.nn._functional.sampling import *  # noqa: F401,F403
from glassnet.nn._functional.shrink import *  # noqa: F401,F403
from glassnet.nn._functional.softmax import *  # noqa: F401,F403
from glassnet.nn._functional.sparse import *  # noqa: F401,F403
from glassnet.ops.linalg import linear  # noqa: F401
from glassnet.ops.shape import pad  # noqa: F401
