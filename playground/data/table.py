"""Your own table: a CSV or TSV file read into columns, a label and features chosen, features standardised, split.

Reading is strict, because a student's spreadsheet export is where most surprises hide: every refusal is one
:class:`DataError` that names the file, the line and the column (text in a numeric column, a ragged row, an empty
file, a single class, a file beyond the size or row limit). Missing cells (empty, ``NA``, ``NaN``, ``null``, ``?``)
are counted per column and never guessed at silently: :func:`prepare` asks for a choice (drop those rows, or fill
them with the column's mean) unless one is given.

Features are standardised with the mean and standard deviation of the training split (so the test split stays
unseen), and a regression target likewise; both are kept in :class:`TableData` so the window can show them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from playground.data.errors import DataError

#: Limits: a table is read whole into memory, and the window must stay responsive.
MAX_BYTES = 50 * 1024**2
MAX_ROWS = 1_000_000
MAX_COLUMNS = 1000
MAX_CLASSES = 100
#: A number label with at most this many distinct integer values is guessed to be classes.
GUESS_CLASSES = 20

MISSING = frozenset({"", "na", "n/a", "nan", "null", "none", "?"})
LABEL_NAMES = ("label", "labels", "target", "class", "classes", "y", "output", "outcome", "species", "category")
SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
TASKS = ("classification", "regression")
MISSING_CHOICES = ("ask", "drop", "fill")


@dataclass(frozen=True)
class Column:
    """One column as read: its kind ("number" or "text"), its values and what is wrong with it."""

    name: str
    index: int
    kind: str
    numbers: np.ndarray  # float64, NaN where a cell is missing or not a number
    missing: np.ndarray  # bool, True where the cell is missing
    text: tuple[str, ...] | None  # the raw cells of a text column (None for a number column)
    bad: tuple[int, str] | None  # the first cell of a number column that is not a number: (line, text)
    distinct: int

    @property
    def missing_count(self) -> int:
        return int(self.missing.sum())

    def examples(self, count: int = 3) -> list[str]:
        if self.text is not None:
            seen: dict[str, None] = {}
            for cell in self.text:
                if cell and cell.lower() not in MISSING:
                    seen.setdefault(cell)
                    if len(seen) >= count:
                        break
            return list(seen)
        values = self.numbers[~np.isnan(self.numbers)][:count]
        return [_fmt(float(v)) for v in values]


@dataclass(frozen=True)
class Table:
    """A file read into columns. ``lines[i]`` is the file line of row ``i`` (the header is line 1 or later)."""

    name: str
    path: str
    sha256: str
    size: int
    delimiter: str
    columns: tuple[Column, ...]
    lines: np.ndarray

    @property
    def rows(self) -> int:
        return len(self.lines)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise DataError(f"{self.name} has no column {name!r} (columns: {', '.join(map(repr, self.names))})")


@dataclass(frozen=True)
class TableData:
    """A table made ready for training: standardised features, targets, a seeded train/test split."""

    name: str
    task: str
    label: str
    features: list[str]
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray  # per feature, of the training split (before standardising)
    std: np.ndarray
    class_names: list[str] = field(default_factory=list)
    class_counts: list[int] = field(default_factory=list)
    target_mean: float = 0.0  # regression: the target is standardised too
    target_std: float = 1.0
    rows: int = 0  # rows used
    dropped: int = 0  # rows dropped for missing values
    filled: int = 0  # cells filled with their column's mean


def shown_name(name: str) -> str:
    """A file name as messages show it: as it is, or escaped when it holds a newline or another control
    character (so a message stays one line)."""
    return name if name.isprintable() else repr(name)


def _fmt(value: float) -> str:
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


# Reading ----------------------------------------------------------------------------------------------------------

def _delimiter(name: str, first_line: str) -> str:
    if name.lower().endswith((".tsv", ".tab")):
        return "\t"
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(path: str | os.PathLike[str], *, name: str | None = None) -> Table:
    """Read a CSV or TSV file (refused beyond :data:`MAX_BYTES`). Raises DataError naming the file."""
    where = name or shown_name(os.path.basename(os.fspath(path)))
    try:
        stat = os.stat(path)
    except OSError as e:
        raise DataError(f"Cannot read the table {os.fspath(path)!r}: {e.strerror or e}") from None
    if stat.st_size > MAX_BYTES:
        raise DataError(f"{where} is {stat.st_size / 1024**2:.1f} MB; tables of up to {MAX_BYTES // 1024**2} MB "
                        f"are read")
    return _read_cached(os.path.abspath(os.fspath(path)), where, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _read_cached(path: str, where: str, _size: int, _mtime: int) -> Table:
    try:
        with open(path, "rb") as f:
            blob = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise DataError(f"Cannot read the table {path!r}: {e.strerror or e}") from None
    return parse_table(blob, where, path=path)


def parse_table(blob: bytes, name: str, *, path: str = "") -> Table:
    """Parse a table from its bytes; ``name`` is how messages call it (the file name)."""
    text = _text(blob, name)
    digest = hashlib.sha256(blob).hexdigest()
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = _delimiter(name, first)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    header_line = 0
    cells: list[list[str]] = []
    lines: list[int] = []
    try:
        for row in reader:
            if not row or all(not c.strip() for c in row):
                continue  # blank lines
            if header is None:
                header = [c.strip() for c in row]
                header_line = reader.line_num
                if len(header) > MAX_COLUMNS:
                    raise DataError(f"{name} has {len(header)} columns; tables of up to {MAX_COLUMNS} columns are "
                                    f"read")
                cells = [[] for _ in header]
                continue
            if len(row) != len(header):
                raise DataError(f"{name} line {reader.line_num}: {len(row)} value{'s' if len(row) != 1 else ''}, "
                                f"but the header (line {header_line}) names {len(header)} columns")
            if len(lines) >= MAX_ROWS:
                raise DataError(f"{name} has more than {MAX_ROWS:,} rows, the limit for tables")
            for column, cell in zip(cells, row):
                column.append(cell.strip())
            lines.append(reader.line_num)
    except csv.Error as e:
        raise DataError(f"{name} line {reader.line_num}: not valid CSV ({e})") from None
    if header is None:
        raise DataError(f"{name} is empty: a table needs a header line of column names and at least one row")
    if not lines:
        raise DataError(f"{name} has a header (line {header_line}) but no rows of data")
    names = _column_names(header, name, header_line)
    line_array = np.asarray(lines, dtype=np.int64)
    columns = tuple(_column(title, i, cells[i], line_array) for i, title in enumerate(names))
    return Table(name=name, path=path, sha256=digest, size=len(blob), delimiter=delimiter, columns=columns,
                 lines=line_array)


def _text(blob: bytes, name: str) -> str:
    """The table's text, refused when it is too large, empty or binary."""
    if len(blob) > MAX_BYTES:
        raise DataError(f"{name} is larger than {MAX_BYTES // 1024**2} MB, the limit for tables")
    if not blob.strip():
        raise DataError(f"{name} is empty: a table needs a header line of column names and at least one row")
    if b"\x00" in blob[:65536]:
        raise DataError(f"{name} is not a text table: it holds binary data (a spreadsheet? save it as CSV)")
    try:
        return blob.decode("utf-8-sig")
    except UnicodeDecodeError:
        return blob.decode("cp1252", errors="replace")  # old spreadsheet exports; numbers are ASCII either way


def _column_names(header: list[str], name: str, header_line: int) -> list[str]:
    names: list[str] = []
    for i, title in enumerate(header):
        title = title or f"column {i + 1}"  # pandas writes its index column with an empty name
        if title in names:
            raise DataError(f"{name} line {header_line}: the column name {title!r} appears twice (columns "
                            f"{names.index(title) + 1} and {i + 1})")
        names.append(title)
    return names


def _column(name: str, index: int, cells: list[str], lines: np.ndarray) -> Column:
    missing = np.fromiter((c.lower() in MISSING for c in cells), dtype=bool, count=len(cells))
    try:  # the fast path: every cell a number (or missing)
        filled = [c if not m else "nan" for c, m in zip(cells, missing)]
        numbers = np.array(filled, dtype=np.float64)
        bad_mask = ~np.isfinite(numbers) & ~missing
    except ValueError:
        numbers = np.full(len(cells), np.nan)
        bad_mask = np.zeros(len(cells), dtype=bool)
        for i, (cell, m) in enumerate(zip(cells, missing)):
            if m:
                continue
            try:
                numbers[i] = float(cell)
            except ValueError:
                bad_mask[i] = True
        bad_mask |= ~np.isfinite(numbers) & ~missing
    numbers[bad_mask] = np.nan
    present = int((~missing).sum())
    bad_count = int(bad_mask.sum())
    # A column is numbers when most of its cells are: a stray word in it is then an error to report, not a reason
    # to treat the whole column as text.
    if present and bad_count * 2 <= present and bad_count < present:
        bad = None
        if bad_count:
            i = int(np.argmax(bad_mask))
            bad = (int(lines[i]), cells[i])
        distinct = len(np.unique(numbers[~np.isnan(numbers)]))
        numbers.flags.writeable = False
        missing.flags.writeable = False
        return Column(name, index, "number", numbers, missing, None, bad, distinct)
    text = tuple(cells)
    distinct = len({c for c, m in zip(cells, missing) if not m})
    numbers.flags.writeable = False
    missing.flags.writeable = False
    return Column(name, index, "text", numbers, missing, text, None, distinct)


# Guessing ---------------------------------------------------------------------------------------------------------

def guess_label(table: Table) -> str:
    """A column named like a label (label, target, class, y, species...), else the last column."""
    by_lower = {c.name.lower(): c.name for c in table.columns}
    for candidate in LABEL_NAMES:
        if candidate in by_lower:
            return by_lower[candidate]
    return table.columns[-1].name


def guess_task(table: Table, label: str) -> str:
    """Text labels, or a few whole numbers, are classes; other numbers are a value to predict."""
    column = table.column(label)
    if column.kind == "text":
        return "classification"
    values = column.numbers[~np.isnan(column.numbers)]
    whole = bool(np.all(values == np.round(values))) if len(values) else False
    if whole and 2 <= column.distinct <= min(GUESS_CLASSES, max(2, len(values) // 2)):
        return "classification"
    return "regression"


def default_features(table: Table, label: str) -> list[str]:
    """Every number column except the label."""
    return [c.name for c in table.columns if c.name != label and c.kind == "number"]


# Preparing --------------------------------------------------------------------------------------------------------

def missing_report(table: Table, columns: Sequence[str]) -> tuple[int, list[tuple[str, int]], int]:
    """(rows with a missing cell, [(column, missing cells)], the first such line) over ``columns``."""
    per: list[tuple[str, int]] = []
    any_missing = np.zeros(table.rows, dtype=bool)
    for name in columns:
        col = table.column(name)
        if col.missing_count:
            per.append((name, col.missing_count))
            any_missing |= col.missing
    first = int(table.lines[int(np.argmax(any_missing))]) if any_missing.any() else 0
    return int(any_missing.sum()), per, first


def _numbers(table: Table, name: str, role: str) -> np.ndarray:
    col = table.column(name)
    if col.kind == "text":
        example = col.examples(1)
        first = f" ({example[0]!r}, …)" if example else ""
        raise DataError(f"{table.name}, column {name!r}: holds text{first}, but {role} must be numbers: "
                        + ("leave it out of the features or make it the label" if role == "a feature" else
                           "predict classes instead"))
    if col.bad is not None:
        line, cell = col.bad
        raise DataError(f"{table.name} line {line}, column {name!r}: {cell[:40]!r} is not a number, but {role} "
                        f"must be numbers")
    return np.asarray(col.numbers)


def _chosen_features(table: Table, label: str, features: Sequence[str] | None) -> list[str]:
    chosen = list(default_features(table, label) if features is None else features)
    if not chosen:
        raise DataError(f"{table.name}: choose at least one feature column (besides the label {label!r})")
    for name in chosen:
        table.column(name)  # raises, naming the columns there are
    if label in chosen:
        raise DataError(f"{table.name}, column {label!r}: it cannot be both the label and a feature")
    if len(set(chosen)) != len(chosen):
        raise DataError(f"{table.name}: a feature column is chosen twice")
    return chosen


def _fill_with_means(table: Table, features: list[str], x: np.ndarray, keep: np.ndarray) -> int:
    """Fill the missing feature cells of the kept rows with their column's mean, in place; how many were filled."""
    filled = 0
    for j in range(x.shape[1]):
        holes = np.isnan(x[:, j]) & keep
        if holes.any():
            present = x[keep & ~np.isnan(x[:, j]), j]
            if not len(present):
                raise DataError(f"{table.name}, column {features[j]!r}: every value is missing, so there is "
                                f"no mean to fill with: leave the column out")
            x[holes, j] = present.mean()
            filled += int(holes.sum())
    return filled


def _classes(table: Table, label: str, keep: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """The kept rows' class numbers and the class names (sorted text, or the numbers the label column holds)."""
    label_column = table.column(label)
    if label_column.text is not None:
        raw = np.asarray(label_column.text, dtype=object)[keep]
        class_names = sorted(set(raw.tolist()))
        lookup = {c: i for i, c in enumerate(class_names)}
        y = np.fromiter((lookup[v] for v in raw), dtype=np.int64, count=len(raw))
    else:
        if label_column.bad is not None:
            _numbers(table, label, "a label of numbered classes")
        values = np.asarray(label_column.numbers)[keep]
        uniques, inverse = np.unique(values, return_inverse=True)
        y = inverse.astype(np.int64).reshape(-1)
        class_names = [_fmt(float(v)) for v in uniques]
    if len(class_names) < 2:
        only = f" ({class_names[0]!r})" if class_names else ""
        raise DataError(f"{table.name}, column {label!r}: the label has only one class{only}; a classifier "
                        f"needs at least two")
    if len(class_names) > MAX_CLASSES:
        raise DataError(f"{table.name}, column {label!r}: {len(class_names)} different labels; a classifier "
                        f"here takes at most {MAX_CLASSES} classes (is it a number to predict? choose "
                        f"regression)")
    return y, class_names


def prepare(table: Table, label: str | None = None, features: Sequence[str] | None = None, task: str | None = None,
            missing: str = "ask", train_ratio: float = 0.5, seed: int = 1) -> TableData:
    """Choose the label and features, handle missing cells, split (seeded) and standardise.

    ``missing``: "ask" refuses a table with missing cells in the chosen columns (the message counts them and
    names the choice), "drop" drops those rows, "fill" fills feature cells with their column's mean (a row whose
    label is missing is dropped either way: a label cannot be made up).
    """
    label = label or guess_label(table)
    label_column = table.column(label)
    task = task or guess_task(table, label)
    if task not in TASKS:
        raise DataError(f"task must be one of {', '.join(TASKS)}. Received: {task!r}")
    if missing not in MISSING_CHOICES:
        raise DataError(f"missing must be one of {', '.join(MISSING_CHOICES)}. Received: {missing!r}")
    if not 0.0 < float(train_ratio) < 1.0:
        raise DataError(f"train_ratio must be between 0 and 1. Received: {train_ratio!r}")
    features = _chosen_features(table, label, features)
    x = np.stack([_numbers(table, f, "a feature") for f in features], axis=1)
    keep = ~label_column.missing
    rows_missing, per_column, first_line = missing_report(table, features + [label])
    if rows_missing and missing == "ask":
        detail = ", ".join(f"{n!r}: {k}" for n, k in per_column)
        cells = sum(k for _, k in per_column)
        raise DataError(f"{table.name}: {cells} missing value{'s' if cells != 1 else ''} in {rows_missing} "
                        f"row{'s' if rows_missing != 1 else ''} (first on line {first_line}; {detail}): choose to "
                        f"drop those rows or fill them with the column mean")
    filled = 0
    if missing == "drop":
        keep &= ~np.isnan(x).any(axis=1)
    elif missing == "fill":
        filled = _fill_with_means(table, features, x, keep)
    dropped = int((~keep).sum())
    x = x[keep]
    n = len(x)
    if n < 2:
        raise DataError(f"{table.name}: only {n} row{'s' if n != 1 else ''} left after dropping rows with missing "
                        f"values; training needs at least 2")
    class_names: list[str] = []
    if task == "classification":
        target, class_names = _classes(table, label, keep)
    else:
        target = _numbers(table, label, "a value to predict")[keep].astype(np.float64)
    order = np.random.default_rng(seed).permutation(n)
    cut = min(max(math.floor(n * float(train_ratio) + 0.5), 1), n - 1)
    train, test = order[:cut], order[cut:]
    mean = x[train].mean(axis=0)
    std = x[train].std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)  # a constant column stays 0 rather than dividing by 0
    xs = ((x - mean) / std).astype(np.float32)
    target_mean, target_std = 0.0, 1.0
    y_train: np.ndarray
    y_test: np.ndarray
    if task == "classification":
        counts = np.bincount(target, minlength=len(class_names)).tolist()
        y_train, y_test = target[train], target[test]
    else:
        counts = []
        target_mean = float(target[train].mean())
        s = float(target[train].std())
        target_std = s if s > 1e-12 else 1.0
        scaled = ((target - target_mean) / target_std).astype(np.float32).reshape(-1, 1)
        y_train, y_test = scaled[train], scaled[test]
    return TableData(name=table.name, task=task, label=label, features=features,
                     x_train=np.ascontiguousarray(xs[train]), y_train=np.ascontiguousarray(y_train),
                     x_test=np.ascontiguousarray(xs[test]), y_test=np.ascontiguousarray(y_test),
                     mean=mean, std=std, class_names=class_names, class_counts=counts,
                     target_mean=target_mean, target_std=target_std, rows=n, dropped=dropped, filled=filled)


def describe(data: TableData) -> list[str]:
    """What the preparation did, in sentences for the window and the CLI."""
    lines = [f"{data.rows} rows: {len(data.x_train)} to train, {len(data.x_test)} to test."]
    if data.dropped:
        lines.append(f"{data.dropped} row{'s' if data.dropped != 1 else ''} with missing values dropped.")
    if data.filled:
        lines.append(f"{data.filled} missing value{'s' if data.filled != 1 else ''} filled with the column mean.")
    if data.task == "classification":
        classes = ", ".join(f"{n} ({c})" for n, c in zip(data.class_names[:8], data.class_counts[:8]))
        more = f", … {len(data.class_names) - 8} more" if len(data.class_names) > 8 else ""
        lines.append(f"{len(data.class_names)} classes of {data.label!r}: {classes}{more}.")
    else:
        lines.append(f"Predicts {data.label!r} (mean {data.target_mean:.4g}, std {data.target_std:.4g}), "
                     f"standardised like the features.")
    stats = "; ".join(f"{f}: mean {m:.4g}, std {s:.4g}" for f, m, s in zip(data.features, data.mean, data.std))
    lines.append(f"Each feature is standardised, (x − mean) / std, with the training split's {stats}.")
    return lines


# Where a lab's table lives ----------------------------------------------------------------------------------------

def table_cache(root: Path | None = None) -> Path:
    """Tables that project files carried, named by their SHA-256 (beside the downloaded image sets)."""
    from playground.data.image_sets import cache_root

    return (root or cache_root()) / "tables"


def remember_table(blob: bytes, suffix: str = ".csv", root: Path | None = None) -> Path:
    """Keep a table's bytes in the cache under their checksum (atomically; a copy already there is kept)."""
    digest = hashlib.sha256(blob).hexdigest()
    folder = table_cache(root)
    target = folder / f"{digest}{suffix if suffix in SUFFIXES else '.csv'}"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".table-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return target


def _cached(sha256: str, root: Path | None) -> Path | None:
    folder = table_cache(root)
    for suffix in SUFFIXES:
        candidate = folder / f"{sha256}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1024**2), b""):
            digest.update(chunk)
    return digest.hexdigest()


def locate_table(path: str, sha256: str | None = None, root: Path | None = None) -> Path:
    """The file to read for a lab's table: the path itself when it holds the data the lab was made with (or no
    checksum was kept), else the copy a project file carried; refused, with what to do, when neither is there."""
    where = shown_name(os.path.basename(path) or path)
    if os.path.isfile(path):
        if not sha256:
            return Path(path)
        try:
            if file_sha256(path) == sha256:
                return Path(path)
        except OSError as e:
            raise DataError(f"Cannot read the table {path!r}: {e.strerror or e}") from None
    cached = _cached(sha256, root) if sha256 else None
    if cached is not None:
        return cached
    if os.path.isfile(path):
        raise DataError(f"{where} changed since the lab chose it (its SHA-256 differs): open it again with "
                        f"File > Open data… (or train it with --data) to use the new contents")
    raise DataError(f"The table {path!r} is not on this computer and no project file carried it: open the data "
                    f"again (File > Open data…)")
