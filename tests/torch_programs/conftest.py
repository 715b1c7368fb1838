"""The ``.py`` files here are PyTorch programs (source text that tests/test_torch_programs.py
runs with torch and, with only its import lines rewritten, with glassnet) and the torch run's
torchvision stand-in: none of them is a test module or holds doctests."""
collect_ignore_glob = ["*.py"]
