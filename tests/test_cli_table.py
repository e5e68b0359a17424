"""``playground train`` on tables: a lab whose dataset is a CSV file, and ``--data TABLE.csv [--label COLUMN]`` that
sizes the network to the table; bad tables exit 2 with one line and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from playground.cli import main
from playground.graph import templates

ROWS = [(5.1, 3.5, 1.4, "setosa"), (4.9, 3.0, 1.4, "setosa"), (4.7, 3.2, 1.3, "setosa"),
        (7.0, 3.2, 4.7, "versicolor"), (6.4, 3.2, 4.5, "versicolor"), (6.9, 3.1, 4.9, "versicolor"),
        (6.3, 3.3, 6.0, "virginica"), (5.8, 2.7, 5.1, "virginica"), (7.1, 3.0, 5.9, "virginica"),
        (5.0, 3.6, 1.4, "setosa"), (5.5, 2.3, 4.0, "versicolor"), (6.5, 3.0, 5.8, "virginica")]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("PLAYGROUND_DATA_DIR", str(tmp_path / "cache"))


def iris(tmp_path: Path, name: str = "iris.csv") -> Path:
    path = tmp_path / name
    path.write_text("sepal_length,sepal_width,petal_length,species\n" +
                    "".join(f"{a},{b},{c},{s}\n" for a, b, c, s in ROWS))
    return path


def lab_file(tmp_path: Path, template: str = "tensorflow_playground", dataset: dict | None = None) -> Path:
    data = templates.build_template(template).to_dict()
    if dataset is not None:
        data["dataset"] = dataset
    path = tmp_path / "lab.json"
    path.write_text(json.dumps(data))
    return path


def test_data_sizes_the_network_to_the_table_and_trains(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["train", str(lab_file(tmp_path)), "--data", str(iris(tmp_path)), "--label", "species",
                 "--epochs", "5", "--quiet", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "Table iris.csv: 3 features (sepal_length, sepal_width, petal_length) → 'species', classification." in \
        printed
    assert "Sized the network: Input 'input_1': 3 features (was 2)." in printed
    assert "Sized the network: Dense 'dense_3': 3 units for 3 classes (was 2)." in printed
    assert "5 epochs" in printed and "accuracy" in printed
    saved = json.loads((out / "lab.json").read_text())
    assert saved["dataset"]["name"] == "table" and saved["dataset"]["features"] == ["sepal_length", "sepal_width",
                                                                                     "petal_length"]
    assert saved["dataset"]["options"]["label"] == "species" and len(saved["dataset"]["options"]["sha256"]) == 64
    # The saved lab trains again on its own: its dataset is the CSV file.
    code = main(["train", str(out / "lab.json"), "--epochs", "2", "--quiet", "--out", str(tmp_path / "again")])
    assert code == 0


def test_a_regression_label(tmp_path, capsys):
    code = main(["train", str(lab_file(tmp_path)), "--data", str(iris(tmp_path)), "--label", "petal_length",
                 "--epochs", "3", "--quiet", "--out", str(tmp_path / "run")])
    printed = capsys.readouterr().out
    assert code == 0
    assert "→ 'petal_length', regression." in printed
    assert "Dense 'dense_3': 1 unit for one value (was 2)" in printed and "head regression" in printed


def test_a_lab_whose_dataset_is_a_csv_file_beside_it(tmp_path, capsys):
    iris(tmp_path)
    lab = templates.tensorflow_playground().to_dict()
    lab["networks"][0]["graph"]["nodes"][0]["params"]["features"] = 3
    lab["dataset"] = {"name": "table", "train_ratio": 0.5, "options": {"path": "iris.csv", "label": "species"}}
    for node in lab["networks"][0]["graph"]["nodes"]:
        if node["name"] == "dense_3":
            node["params"]["units"] = 3
    (tmp_path / "lab.json").write_text(json.dumps(lab))
    code = main(["train", str(tmp_path / "lab.json"), "--epochs", "3", "--quiet", "--out", str(tmp_path / "run")])
    assert code == 0, capsys.readouterr().err
    assert "3 epochs" in capsys.readouterr().out


@pytest.mark.parametrize("text, message", [
    ("a,b\n1,2\n3\n", "error: bad.csv line 3: 1 value, but the header (line 1) names 2 columns"),
    ("", "error: bad.csv is empty: a table needs a header line of column names and at least one row"),
    ("x,label\n1,a\n2,a\n",
     "error: bad.csv, column 'label': the label has only one class ('a'); a classifier needs at least two"),
    ("x,y,label\n1,2,a\nfoo,3,b\n4,5,a\n6,7,b\n",
     "error: bad.csv line 3, column 'x': 'foo' is not a number, but a feature must be numbers"),
    ("x,label\n1,a\n,b\n3,a\n4,b\n",
     ("error: bad.csv: 1 missing value in 1 row (first on line 3; 'x': 1): choose to drop those rows or fill them "
      "with the column mean")),
])
def test_bad_tables_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, text, message):
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    out = tmp_path / "run"
    assert main(["train", str(lab_file(tmp_path)), "--data", str(bad), "--quiet", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == message + "\n"
    assert not out.exists()


def test_missing_values_train_with_a_choice(tmp_path, capsys):
    table = tmp_path / "holes.csv"
    table.write_text("x,y,label\n" + "".join(f"{i},{'' if i % 5 == 0 else i * 2},{i % 2}\n" for i in range(20)))
    for choice in ("drop", "fill"):
        code = main(["train", str(lab_file(tmp_path)), "--data", str(table), "--missing", choice, "--epochs", "2",
                     "--quiet", "--out", str(tmp_path / choice)])
        assert code == 0
    printed = capsys.readouterr().out
    assert "4 rows with missing values dropped." in printed and "4 missing values filled with the column mean." in \
        printed


def test_a_graph_that_cannot_take_a_table_says_so(tmp_path, capsys):
    code = main(["train", str(lab_file(tmp_path, "lenet")), "--data", str(iris(tmp_path)), "--quiet", "--out",
                 str(tmp_path / "run")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "Input 'input_1' takes images, but a table gives 3 numbers per row: set its kind to vector" in err


def test_table_flags_need_data_and_a_lab_file(tmp_path, capsys):
    assert main(["train", str(lab_file(tmp_path)), "--label", "species"]) == 2
    assert "--label, --task and --missing describe a table: give it with --data TABLE.csv" in capsys.readouterr().err
    project = tmp_path / "p.nnp"
    project.write_bytes(b"PK\x03\x04")
    assert main(["train", str(project), "--data", str(iris(tmp_path))]) == 2
    assert "a project keeps the data it was trained on" in capsys.readouterr().err
    assert main(["train", str(lab_file(tmp_path)), "--data", str(tmp_path / "nope.csv"), "--quiet"]) == 2
    assert "Cannot read the table" in capsys.readouterr().err
