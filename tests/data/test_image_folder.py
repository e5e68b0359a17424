"""A user's image folder: one subfolder per class, bad files skipped and listed, grayscale or RGB."""

import dataclasses

import numpy as np
import pytest
from PIL import Image

from playground.data import DataError, ImageFolderData, load_image_folder


def _save(path, size=(40, 30), color=(200, 30, 30), fmt=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path, format=fmt)
    return path


@pytest.fixture()
def folder(tmp_path):
    root = tmp_path / "pets"
    _save(root / "dogs" / "a.png", color=(255, 255, 255))
    _save(root / "dogs" / "b.jpg", size=(64, 64), color=(250, 250, 250))
    _save(root / "cats" / "c.png", color=(0, 0, 0))
    _save(root / "cats" / "d.jpeg", size=(20, 50), color=(0, 0, 0))
    _save(root / "cats" / "e.bmp", color=(0, 0, 255), fmt="BMP")  # anything Pillow opens counts
    good = (root / "cats" / "c.png").read_bytes()
    (root / "cats" / "broken.png").write_bytes(good[: len(good) // 2])
    (root / "dogs" / "notes.txt").write_text("not an image")
    (root / "README.md").write_text("files at the top level are not a class")
    return root


def test_loads_grayscale_and_lists_skipped(folder):
    data = load_image_folder(folder)
    assert isinstance(data, ImageFolderData)
    assert data.class_names == ("cats", "dogs")
    assert data.images.dtype == np.float32 and data.images.shape == (5, 1, 28, 28)
    assert data.labels.dtype == np.int64
    assert sorted(data.labels.tolist()) == [0, 0, 0, 1, 1]
    assert data.images.min() >= 0.0 and data.images.max() <= 1.0
    # cats are black or blue, dogs white: the labels follow the pixels.
    dogs = data.images[data.labels == 1]
    assert dogs.min() > 0.95
    black = data.images[data.labels == 0].reshape(3, -1).mean(axis=1)
    assert sorted(black)[:2] == pytest.approx([0.0, 0.0], abs=0.02)
    skipped = {path.name: reason for path, reason in data.skipped}
    assert set(skipped) == {"broken.png", "notes.txt"}
    assert "not an image" in skipped["notes.txt"]
    assert "truncated" in skipped["broken.png"] or "corrupt" in skipped["broken.png"]


def test_rgb_shape_and_colour(folder):
    data = load_image_folder(folder, size=(16, 24), channels=3)
    assert data.images.shape == (5, 3, 16, 24)
    blue = [i for i in range(5) if data.images[i, 2].mean() > 0.9 and data.images[i, 0].mean() < 0.1]
    assert len(blue) == 1 and data.labels[blue[0]] == 0


def test_is_frozen(folder):
    data = load_image_folder(folder)
    with pytest.raises(dataclasses.FrozenInstanceError):
        data.labels = None


def test_transparent_png_is_composited_on_white(tmp_path):
    path = tmp_path / "set" / "ink" / "t.png"
    path.parent.mkdir(parents=True)
    Image.new("RGBA", (10, 10), (0, 0, 0, 0)).save(path)
    data = load_image_folder(tmp_path / "set", size=(8, 8))
    assert data.images.min() > 0.99


def test_no_class_subfolders(tmp_path):
    _save(tmp_path / "flat" / "a.png")
    with pytest.raises(DataError, match=r"flat has no class subfolders"):
        load_image_folder(tmp_path / "flat")


def test_no_readable_images(tmp_path):
    (tmp_path / "root" / "a").mkdir(parents=True)
    (tmp_path / "root" / "a" / "x.png").write_bytes(b"garbage")
    with pytest.raises(DataError, match=r"root has no readable images.*1 file\(s\) were skipped"):
        load_image_folder(tmp_path / "root")


def test_missing_folder_and_bad_arguments(tmp_path):
    with pytest.raises(DataError, match="nowhere does not exist"):
        load_image_folder(tmp_path / "nowhere")
    with pytest.raises(DataError, match="channels"):
        load_image_folder(tmp_path, channels=2)
    with pytest.raises(DataError, match="size"):
        load_image_folder(tmp_path, size=(0, 28))


def test_a_folder_read_again_comes_from_memory_until_it_changes(tmp_path):
    from PIL import Image

    from playground.data.image_folder import load_image_folder

    for cls in ("a", "b"):
        (tmp_path / cls).mkdir()
        Image.new("L", (8, 8), color=10).save(tmp_path / cls / "0.png")
    first = load_image_folder(tmp_path, (8, 8), 1)
    assert load_image_folder(tmp_path, (8, 8), 1) is first  # the app reads one folder several times
    assert load_image_folder(tmp_path, (4, 4), 1) is not first
    Image.new("L", (8, 8), color=200).save(tmp_path / "b" / "1.png")
    again = load_image_folder(tmp_path, (8, 8), 1)
    assert len(again.labels) == 3


# What lies outside the folder, and what is no file -------------------------------------------------------------

@pytest.fixture()
def linked(tmp_path):
    """A folder with one real class, one class folder that is a link to a folder outside it, a link to an image
    outside it, a named pipe, a socket and a link to a folder inside it."""
    import os
    import socket

    outside = tmp_path / "system"
    for i in range(3):
        _save(outside / f"{i}.png")
    root = tmp_path / "pets"
    _save(root / "cats" / "a.png", color=(0, 0, 0))
    _save(root / "cats" / "nested" / "b.png", color=(0, 0, 0))
    _save(root / "dogs" / "c.png", color=(255, 255, 255))
    (root / "linked_class").symlink_to(outside, target_is_directory=True)
    (root / "dogs" / "elsewhere.png").symlink_to(outside / "0.png")
    (root / "dogs" / "same.png").symlink_to(root / "dogs" / "c.png")  # inside the folder: read
    (root / "dogs" / "loop").symlink_to(root, target_is_directory=True)
    os.mkfifo(root / "cats" / "pipe.png")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "cats" / "socket.png"))
    yield root, outside
    sock.close()


def test_links_out_of_the_folder_are_not_followed_and_special_files_never_opened(linked):
    root, outside = linked
    data = load_image_folder(root)
    assert data.class_names == ("cats", "dogs")
    assert sorted(data.labels.tolist()) == [0, 0, 1, 1]  # a, nested/b; c and the link to it inside the folder
    reasons = {path.name: why for path, why in data.skipped}
    assert set(reasons) == {"linked_class", "elsewhere.png", "loop", "pipe.png", "socket.png"}
    assert "outside the chosen folder" in reasons["linked_class"] and repr(str(outside)) in reasons["linked_class"]
    assert "outside the chosen folder" in reasons["elsewhere.png"]
    assert reasons["loop"] == "a link to a folder; not followed"
    assert "named pipe" in reasons["pipe.png"]
    assert "socket" in reasons["socket.png"]


def test_only_links_outside_is_no_class(tmp_path):
    outside = tmp_path / "usr"
    _save(outside / "x" / "a.png")
    root = tmp_path / "root"
    root.mkdir()
    (root / "x").symlink_to(outside / "x", target_is_directory=True)
    with pytest.raises(DataError, match=r"root has no class subfolders \(1 linked folder\(s\) outside it were not "
                                        r"followed\)"):
        load_image_folder(root)


def test_a_folder_with_too_many_files_is_refused_before_decoding(tmp_path, monkeypatch):
    from playground.data import image_folder

    for i in range(8):
        (tmp_path / "big" / "a").mkdir(parents=True, exist_ok=True)
        (tmp_path / "big" / "a" / f"{i}.png").write_bytes(b"not decoded")
    monkeypatch.setattr(image_folder, "MAX_FILES", 5)
    decoded = []
    monkeypatch.setattr(image_folder, "_decode", lambda *a: decoded.append(a))
    with pytest.raises(DataError, match=r"big holds more than 5 files in its class subfolders, the limit"):
        load_image_folder(tmp_path / "big")
    assert decoded == []


def test_a_file_that_became_a_pipe_is_skipped_not_waited_on(tmp_path, monkeypatch):
    """Between the listing and the opening a file may become a pipe: it is opened without blocking, checked on the
    open descriptor and skipped."""
    import os

    from playground.data import image_folder

    _save(tmp_path / "set" / "a" / "good.png")
    _save(tmp_path / "set" / "a" / "swapped.png")
    real_special = image_folder._special
    listed = []

    def swap_after_listing(mode):
        listed.append(mode)
        target = tmp_path / "set" / "a" / "swapped.png"
        if len(listed) == 2:  # both files listed (in name order) as regular files: now swap the second
            target.unlink()
            os.mkfifo(target)
        return real_special(mode)

    monkeypatch.setattr(image_folder, "_special", swap_after_listing)
    data = load_image_folder(tmp_path / "set", size=(8, 8))
    assert len(data.labels) == 1
    assert [(p.name, why) for p, why in data.skipped] == [("swapped.png", "not a regular file")]


def test_images_that_would_not_fit_in_memory_are_refused_before_decoding(tmp_path, monkeypatch):
    from playground.data import image_folder

    _save(tmp_path / "set" / "a" / "0.png")
    _save(tmp_path / "set" / "a" / "1.png")
    monkeypatch.setattr(image_folder, "MAX_DECODED_BYTES", 2 * 3 * 64 * 64 * 4 - 1)
    monkeypatch.setattr(image_folder, "_decode", lambda *a: pytest.fail("decoded"))
    with pytest.raises(DataError, match=r"set: 2 images at 64x64x3 would take 0.0 GB of memory"):
        load_image_folder(tmp_path / "set", size=(64, 64), channels=3)


def test_a_folder_that_cannot_be_listed_is_a_message(tmp_path, monkeypatch):
    import os

    _save(tmp_path / "locked" / "a" / "0.png")
    real = os.scandir

    def scandir(path):
        if str(path) == str(tmp_path / "locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(DataError, match=r"locked cannot be listed: Permission denied"):
        load_image_folder(tmp_path / "locked")
