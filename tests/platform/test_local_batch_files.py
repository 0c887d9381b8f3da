"""Buckets are folders: where a local batch job reads and writes, and which files it reads."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.local.batch_files import (
    BatchFileError,
    bucket_path,
    folder_path,
    input_files,
    merged,
    output_names,
    predictions_frame,
    read_frame,
)


def test_plain_names_are_folders_under_the_state_folder(tmp_path: Path) -> None:
    assert folder_path(tmp_path, "scores", "daily/2024-01-01", kind="destination") == (
        tmp_path / "buckets" / "scores" / "daily" / "2024-01-01"
    )
    assert folder_path(tmp_path, "scores", "", kind="source") == tmp_path / "buckets" / "scores"
    assert folder_path(tmp_path, "scores", "a/./b/../c", kind="source") == tmp_path / "buckets" / "scores" / "a" / "c"


@pytest.mark.parametrize("bucket", ["file:///data/in", "file://localhost/data/in", "/data/in"])
def test_file_uris_and_absolute_paths_are_used_as_they_are(tmp_path: Path, bucket: str) -> None:
    assert bucket_path(tmp_path, bucket, field="source_bucket") == Path("/data/in")


def test_file_uris_are_decoded(tmp_path: Path) -> None:
    assert bucket_path(tmp_path, "file:///data/my%20scores", field="b") == Path("/data/my scores")


@pytest.mark.parametrize(
    ("bucket", "folder", "message"),
    [
        ("..", "", "leads outside"),
        ("../elsewhere", "", "leads outside"),
        (".", "", "leads outside"),
        ("scores", "../other-bucket", "'..' may not climb out of a bucket"),
        ("scores", "a/../../..", "'..' may not climb out of a bucket"),
        ("file:///data", "../etc", "'..' may not climb out of a bucket"),
        ("scores", "/etc", "must be relative to its bucket"),
        ("s3://my-bucket", "x", "reads and writes local folders only"),
        ("file://relative/path", "", "not a file:// URI of an absolute path"),
        ("", "x", "source_bucket is empty"),
    ],
)
def test_nothing_leads_outside_a_bucket(tmp_path: Path, bucket: str, folder: str, message: str) -> None:
    with pytest.raises(PlatformError, match=message.replace("(", r"\(")):
        folder_path(tmp_path, bucket, folder, kind="source")


def test_input_files_are_chosen_by_type_hidden_and_destination_left_out(tmp_path: Path) -> None:
    for name in ["b.csv", "a.CSV", "sub/c.csv", "notes.txt", ".hidden.csv", ".staging/x.csv", "out/old.csv"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n1\n")
    assert input_files(tmp_path, "csv", destination=tmp_path / "out") == ["a.CSV", "b.csv", "sub/c.csv"]


def test_a_missing_or_empty_source_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(PlatformError, match=f"the source folder {tmp_path / 'nope'} does not exist"):
        input_files(tmp_path / "nope", "csv", destination=tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PlatformError, match=r"has no csv file \(\.csv\) \(it is empty\)"):
        input_files(tmp_path / "empty", "csv", destination=tmp_path / "out")
    (tmp_path / "empty" / "data.parquet").write_text("")
    with pytest.raises(PlatformError, match=r"no feather file .*\(it holds 1 other file\(s\), e.g. 'data.parquet'"):
        input_files(tmp_path / "empty", "feather", destination=tmp_path / "out")


def test_one_output_per_input_and_clashes_are_refused() -> None:
    assert output_names(["a.csv", "sub/b.csv"], "parquet") == ["a.parquet", "sub/b.parquet"]
    with pytest.raises(PlatformError, match=r"'a.parquet' and 'a.pq' would both write 'a.csv'"):
        output_names(["a.parquet", "a.pq"], "csv")


def test_a_file_that_does_not_parse_is_named(tmp_path: Path) -> None:
    (tmp_path / "bad.parquet").write_text("this is not parquet")
    with pytest.raises(BatchFileError, match=r"in/bad.parquet cannot be read as parquet: "):
        read_frame(tmp_path / "bad.parquet", "parquet", "in/bad.parquet")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(BatchFileError, match=r"in/empty.csv cannot be read as csv: No columns to parse"):
        read_frame(tmp_path / "empty.csv", "csv", "in/empty.csv")


def test_outputs_keep_the_input_columns_the_model_does_not_return() -> None:
    inputs = pd.DataFrame({"id": ["a", "b"], "x": [1, 2]}, index=[10, 11])
    outputs = predictions_frame(pd.DataFrame({"x": [1, 2], "y": [2, 4]}), 2, "f.csv")
    assert merged(inputs, outputs).to_dict("list") == {"id": ["a", "b"], "x": [1, 2], "y": [2, 4]}


@pytest.mark.parametrize(
    ("predictions", "columns"),
    [
        (pd.Series([1, 2], name="score"), ["score"]),
        (pd.Series([1, 2]), ["prediction"]),
        ([0.1, 0.2], ["prediction"]),
        ([{"a": 1}, {"a": 2}], ["a"]),
    ],
)
def test_model_outputs_of_any_shape_become_columns(predictions: object, columns: list[str]) -> None:
    assert list(predictions_frame(predictions, 2, "f.csv").columns) == columns


def test_a_model_returning_the_wrong_number_of_rows_is_named() -> None:
    with pytest.raises(BatchFileError, match=r"f.csv: the model returned 1 row\(s\) for 2 input row\(s\)"):
        predictions_frame([1], 2, "f.csv")


@pytest.mark.parametrize(
    ("source", "destination", "says"),
    [
        ("data", "data", "is the destination folder"),
        ("out/in", "out", "is inside the destination"),
        ("link", "data", "is the destination folder"),  # the same folder through a symlink
    ],
)
def test_a_source_under_or_equal_to_its_destination_says_so(
    tmp_path: Path, source: str, destination: str, says: str
) -> None:
    for folder in ("data", "out/in"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "x.csv").write_text("x\n1\n")
    (tmp_path / "link").symlink_to(tmp_path / "data")
    with pytest.raises(PlatformError, match=f"{says}.*outputs would be written among the inputs") as raised:
        input_files(tmp_path / source, "csv", destination=tmp_path / destination)
    assert "empty" not in str(raised.value)
