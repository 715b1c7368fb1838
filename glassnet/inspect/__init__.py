"""Inspection: model summaries (shapes, parameters, MACs, receptive field), activation
and gradient statistics, and plots."""
from glassnet.inspect.activations import ActivationStats, activation_stats  # noqa: F401
from glassnet.inspect.gradients import GradientStats  # noqa: F401
from glassnet.inspect.plots import plot_activation_histograms, plot_gradient_norms  # noqa: F401
from glassnet.inspect.summary import ModelSummary, conv_output_size, summary  # noqa: F401
