"""Character-level text for recurrent networks: the bundled corpus, its vocabulary, windows of character ids.

The built-in corpus is the first nine chapters of Jane Austen's "Pride and Prejudice" (1813, public domain), as
carried by the MIT-licensed R package janeaustenr (see playground/resources/data/TEXT-README.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from playground.data.errors import DataError

__all__ = ["BUILTIN_CORPUS", "CORPORA", "TextSplit", "Vocabulary", "char_windows", "load_corpus", "text_splits"]

_DATA = Path(__file__).resolve().parents[1] / "resources" / "data"
BUILTIN_CORPUS = _DATA / "pride-and-prejudice-ch1-9.txt"
#: Dataset name -> (file, title) of the bundled corpora.
CORPORA: dict[str, tuple[Path, str]] = {"austen": (BUILTIN_CORPUS, "Jane Austen, Pride and Prejudice, ch. 1–9")}


@dataclass(frozen=True)
class Vocabulary:
    """The distinct characters of a text, sorted; a character's id is its index."""

    chars: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> Vocabulary:
        if not text:
            raise DataError("The text is empty: a vocabulary needs at least one character")
        return cls(tuple(sorted(set(text))))

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.chars)}
        try:
            return np.fromiter((index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as e:
            raise DataError(f"The character {e.args[0]!r} is not in the vocabulary") from None

    def decode(self, ids: np.ndarray | list[int]) -> str:
        n = len(self.chars)
        return "".join(self.chars[int(i)] if 0 <= int(i) < n else "?" for i in np.asarray(ids).reshape(-1))

    def code_points(self) -> np.ndarray:
        """The characters as Unicode code points (int32), for snapshots, which hold numbers only."""
        return np.array([ord(c) for c in self.chars], dtype=np.int32)


def load_corpus(path: Path | str | None = None) -> str:
    """A UTF-8 text file as a string, line endings normalised to "\\n"."""
    source = Path(path) if path is not None else BUILTIN_CORPUS
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"The text corpus is missing: {source} does not exist (reinstall the app)") from None
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{source} is not a readable UTF-8 text: {e}") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text:
        raise DataError(f"{source} is empty")
    return text


def char_windows(ids: np.ndarray, steps: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``steps`` character ids and their next-character targets: x, y int64 (n, steps), where
    y[i, t] is the character after x[i, t]. Windows start every ``stride`` characters (default: ``steps``)."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    stride = steps if stride is None else stride
    if steps < 1 or stride < 1:
        raise DataError(f"steps and stride must be at least 1 (received {steps} and {stride})")
    if len(ids) < steps + 1:
        raise DataError(f"A text of {len(ids)} characters is too short for windows of {steps} steps")
    starts = np.arange(0, len(ids) - steps, stride)
    index = starts[:, None] + np.arange(steps)[None, :]
    return np.ascontiguousarray(ids[index]), np.ascontiguousarray(ids[index + 1])


@dataclass(frozen=True, eq=False)
class TextSplit:
    vocabulary: Vocabulary
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    test_text: str  # the held-out part, where prompts for sampling come from


def text_splits(text: str, steps: int, train_ratio: float, stride: int | None = None) -> TextSplit:
    """The first ``train_ratio`` of the text for training, the rest for testing: contiguous parts, so no test
    window overlaps a training one."""
    if not 0.0 < train_ratio < 1.0:
        raise DataError(f"train_ratio must be between 0 and 1 (received {train_ratio:g})")
    vocabulary = Vocabulary.of(text)
    ids = vocabulary.encode(text)
    cut = int(len(ids) * train_ratio)
    if cut < steps + 1 or len(ids) - cut < steps + 1:
        raise DataError(f"A text of {len(ids)} characters split at {train_ratio:g} leaves a part shorter than "
                        f"one window of {steps} steps")
    x_train, y_train = char_windows(ids[:cut], steps, stride)
    x_test, y_test = char_windows(ids[cut:], steps, steps)
    return TextSplit(vocabulary, x_train, y_train, x_test, y_test, text[cut:])
