"""Inspection: model summaries (shapes, parameters, MACs, receptive field) and plots."""
from glassnet.inspect.summary import ModelSummary, conv_output_size, summary  # noqa: F401
