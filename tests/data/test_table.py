"""Your own table: reading CSV/TSV, guessing label and task, missing values, standardising, and every refusal with
the file, line and column named."""

from __future__ import annotations

import numpy as np
import pytest

from playground.data import table as tables
from playground.data.errors import DataError


def write(tmp_path, text: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


IRIS = """sepal_length,sepal_width,petal_length,species
5.1,3.5,1.4,setosa
4.9,3.0,1.4,setosa
4.7,3.2,1.3,setosa
7.0,3.2,4.7,versicolor
6.4,3.2,4.5,versicolor
6.9,3.1,4.9,versicolor
6.3,3.3,6.0,virginica
5.8,2.7,5.1,virginica
7.1,3.0,5.9,virginica
5.0,3.6,1.4,setosa
"""


def test_a_classification_table_reads_with_types_guesses_and_standardised_features(tmp_path):
    table = tables.read_table(write(tmp_path, IRIS))
    assert table.names == ["sepal_length", "sepal_width", "petal_length", "species"]
    assert [c.kind for c in table.columns] == ["number", "number", "number", "text"]
    assert table.rows == 10 and table.delimiter == ","
    assert tables.guess_label(table) == "species"
    assert tables.guess_task(table, "species") == "classification"
    data = tables.prepare(table, train_ratio=0.6, seed=3)
    assert data.features == ["sepal_length", "sepal_width", "petal_length"]
    assert data.class_names == ["setosa", "versicolor", "virginica"] and data.class_counts == [4, 3, 3]
    assert data.x_train.shape == (6, 3) and data.x_test.shape == (4, 3)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    # Standardised with the training split's statistics: mean 0, std 1 there.
    np.testing.assert_allclose(data.x_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=0), 1, atol=1e-5)
    # The same seed gives the same split; the kept mean and std undo the standardising.
    again = tables.prepare(table, train_ratio=0.6, seed=3)
    np.testing.assert_array_equal(again.x_test, data.x_test)
    raw = np.array([[float(v) for v in line.split(",")[:3]] for line in IRIS.splitlines()[1:]])
    restored = data.x_train * data.std + data.mean
    assert all(any(np.allclose(r, row, atol=1e-4) for row in raw) for r in restored)
    text = " ".join(tables.describe(data))
    assert "3 classes of 'species'" in text and "sepal_length: mean" in text and "std" in text


def test_a_regression_table_and_a_tsv(tmp_path):
    rows = "\n".join(f"{i}\t{i * 0.5:.2f}\t{3 * i + 0.25:.3f}" for i in range(30))
    table = tables.read_table(write(tmp_path, "size\trooms\tprice\n" + rows + "\n", "houses.tsv"))
    assert table.delimiter == "\t"
    assert tables.guess_label(table) == "price"  # no label-like name: the last column
    assert tables.guess_task(table, "price") == "regression"
    data = tables.prepare(table)
    assert data.task == "regression" and data.y_train.shape == (15, 1) and data.y_train.dtype == np.float32
    # The target is standardised too, and its mean and std kept.
    assert abs(float(data.y_train.mean())) < 1e-5 and data.target_std > 1
    assert "Predicts 'price'" in " ".join(tables.describe(data))


def test_few_whole_numbers_are_classes_and_a_semicolon_file_reads(tmp_path):
    text = "a;b;y\n" + "\n".join(f"{i};{i % 7};{i % 2}" for i in range(20)) + "\n"
    table = tables.read_table(write(tmp_path, text))
    assert table.delimiter == ";"
    assert tables.guess_label(table) == "y" and tables.guess_task(table, "y") == "classification"
    data = tables.prepare(table, features=["a"])
    assert data.class_names == ["0", "1"] and data.features == ["a"]


def test_missing_values_are_counted_and_a_choice_is_asked_for(tmp_path):
    text = "x1,x2,label\n1,2,a\n,3,b\n4,NA,a\n5,6,\n7,8,b\n9,10,a\n"
    table = tables.read_table(write(tmp_path, text))
    assert [c.missing_count for c in table.columns] == [1, 1, 1]
    with pytest.raises(DataError) as e:
        tables.prepare(table)
    assert str(e.value) == ("data.csv: 3 missing values in 3 rows (first on line 3; 'x1': 1, 'x2': 1, 'label': 1): "
                            "choose to drop those rows or fill them with the column mean")
    dropped = tables.prepare(table, missing="drop")
    assert dropped.rows == 3 and dropped.dropped == 3 and dropped.filled == 0
    filled = tables.prepare(table, missing="fill")  # a row without a label is dropped either way
    assert filled.rows == 5 and filled.dropped == 1 and filled.filled == 2
    assert "2 missing values filled with the column mean" in " ".join(tables.describe(filled))


@pytest.mark.parametrize("text, message", [
    ("", "data.csv is empty: a table needs a header line of column names and at least one row"),
    ("\n\n  \n", "data.csv is empty: a table needs a header line of column names and at least one row"),
    ("a,b,c\n", "data.csv has a header (line 1) but no rows of data"),
    ("a,b,c\n1,2,3\n4,5\n", "data.csv line 3: 2 values, but the header (line 1) names 3 columns"),
    ("a,b,a\n1,2,3\n", "data.csv line 1: the column name 'a' appears twice (columns 1 and 3)"),
])
def test_bad_files_are_refused_with_the_line_named(tmp_path, text, message):
    with pytest.raises(DataError) as e:
        tables.read_table(write(tmp_path, text))
    assert str(e.value) == message


def test_text_in_a_numeric_column_names_line_and_column(tmp_path):
    text = "age,height,label\n" + "\n".join(f"{20 + i},{150 + i},{i % 2}" for i in range(8)) + "\nthirty,160,1\n"
    table = tables.read_table(write(tmp_path, text))
    assert table.column("age").kind == "number" and table.column("age").bad == (10, "thirty")
    with pytest.raises(DataError) as e:
        tables.prepare(table)
    assert str(e.value) == "data.csv line 10, column 'age': 'thirty' is not a number, but a feature must be numbers"
    # Left out of the features, the table trains.
    assert tables.prepare(table, features=["height"]).rows == 9


def test_a_text_column_as_feature_and_a_text_regression_label_are_refused(tmp_path):
    text = "name,score,grade\n" + "\n".join(f"s{i},{i},{'ab'[i % 2]}" for i in range(6)) + "\n"
    table = tables.read_table(write(tmp_path, text))
    with pytest.raises(DataError) as e:
        tables.prepare(table, label="grade", features=["name", "score"])
    assert str(e.value) == ("data.csv, column 'name': holds text ('s0', …), but a feature must be numbers: leave it "
                            "out of the features or make it the label")
    with pytest.raises(DataError) as e:
        tables.prepare(table, label="grade", task="regression")
    assert "column 'grade': holds text ('a', …), but a value to predict must be numbers: predict classes" in str(
        e.value)
    with pytest.raises(DataError) as e:
        tables.prepare(table, label="nope")
    assert str(e.value) == "data.csv has no column 'nope' (columns: 'name', 'score', 'grade')"
    with pytest.raises(DataError, match="cannot be both the label and a feature"):
        tables.prepare(table, label="score", features=["score"])


def test_a_single_class_is_refused(tmp_path):
    table = tables.read_table(write(tmp_path, "x,label\n1,cat\n2,cat\n3,cat\n"))
    with pytest.raises(DataError) as e:
        tables.prepare(table)
    assert str(e.value) == ("data.csv, column 'label': the label has only one class ('cat'); a classifier needs at "
                            "least two")


def test_files_beyond_the_limits_are_refused(tmp_path, monkeypatch):
    path = write(tmp_path, "a,b\n" + "1,2\n" * 50)
    monkeypatch.setattr(tables, "MAX_BYTES", 100)
    with pytest.raises(DataError) as e:
        tables.read_table(path)
    assert str(e.value) == "data.csv is 0.0 MB; tables of up to 0 MB are read"
    monkeypatch.setattr(tables, "MAX_BYTES", 10**6)
    monkeypatch.setattr(tables, "MAX_ROWS", 20)
    with pytest.raises(DataError) as e:
        tables.read_table(path)
    assert str(e.value) == "data.csv has more than 20 rows, the limit for tables"


def test_binary_data_is_not_a_table(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(DataError, match="sheet.csv is not a text table: it holds binary data"):
        tables.read_table(path)


def test_the_checksum_finds_the_file_or_the_carried_copy(tmp_path):
    path = write(tmp_path, IRIS)
    table = tables.read_table(path)
    cache = tmp_path / "cache"
    assert tables.locate_table(str(path), table.sha256, cache) == path
    path.write_text(IRIS + "5.0,3.0,1.5,setosa\n")
    with pytest.raises(DataError, match="data.csv changed since the lab chose it"):
        tables.locate_table(str(path), table.sha256, cache)
    kept = tables.remember_table(IRIS.encode(), root=cache)
    assert kept.name == f"{table.sha256}.csv"
    assert tables.locate_table(str(path), table.sha256, cache) == kept
    path.unlink()
    assert tables.locate_table(str(path), table.sha256, cache) == kept
    with pytest.raises(DataError, match="is not on this computer and no project file carried it"):
        tables.locate_table(str(path), "0" * 64, cache)
