"""Finding mpiexec, detecting a launcher, and `glassnet train --nproc` without MPI."""
import os

import pytest

from glassnet.cli.main import main
from glassnet.distributed import launch


def test_mpiexec_command_and_launcher_detection(monkeypatch):
    for name in launch._LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert launch.under_mpiexec() is False
    monkeypatch.setenv("PMI_RANK", "1")
    assert launch.under_mpiexec() is True
    monkeypatch.setattr(launch, "find_mpiexec", lambda: "/opt/mpi/bin/mpiexec")
    assert launch.mpiexec_command(3, ["python3", "x.py"]) == [
        "/opt/mpi/bin/mpiexec", "-n", "3", "python3", "x.py"]
    with pytest.raises(ValueError, match="mpiexec_command: nproc must be an int >= 1, got 0"):
        launch.mpiexec_command(0, ["python3"])


def test_found_mpiexec_is_an_executable_file():
    path = launch.find_mpiexec()
    if path is None:
        pytest.skip("no mpiexec installed")
    assert os.path.basename(path) == "mpiexec" and os.access(path, os.X_OK)


def test_train_nproc_without_mpiexec_says_what_to_install(monkeypatch, capsys):
    for name in launch._LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(launch, "find_mpiexec", lambda: None)
    assert main(["train", "--dataset", "digits", "--nproc", "2", "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert "glassnet train: error: --nproc: mpiexec_command: no mpiexec found" in err
    assert "pip install 'glassnet[mpi]'" in err


def test_the_relaunched_command_line_gives_back_the_arguments():
    from glassnet.cli.main import build_parser
    from glassnet.cli.train import _argv

    parser = build_parser()
    line = ["train", "--dataset", "digits", "--epochs", "3", "--lr", "0.05", "--no-augment",
            "--no-progress", "--nproc", "2"]
    args = parser.parse_args(line)
    again = parser.parse_args(["train", *_argv(args._parser, args)])
    for key in ("dataset", "epochs", "lr", "augment", "no_progress", "seed"):
        assert getattr(again, key) == getattr(args, key)
    assert again.nproc is None  # the ranks do not launch again
