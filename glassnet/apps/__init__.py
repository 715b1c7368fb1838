"""Applications built from the framework's pieces: neural style transfer
(:mod:`glassnet.apps.style`)."""
