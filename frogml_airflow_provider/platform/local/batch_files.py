"""The local platform's buckets and batch files: where a job reads and writes, and how.

A bucket is a folder. A ``file://`` URI or an absolute path is used as is; any other name is a
folder under the state folder, ``<state>/buckets/<name>``. The folder inside the bucket is
relative and stays inside it: ``..`` may not climb out of a bucket, nor a plain name out of
``<state>/buckets``. Output files are named after their input file, with the output type's
extension, under the same relative path. pandas is imported only where a file is read or written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.batch_folders import INPUT_EXTENSIONS, OUTPUT_EXTENSION

BUCKETS = "buckets"
STAGING_PREFIX = ".frogml-batch-"  # hidden, inside the destination: renames into place are atomic


class BatchFileError(PlatformError):
    """An input file that cannot be read or predicted, or an output that cannot be written."""


def bucket_path(state_dir: Path, bucket: str | None, *, field: str) -> Path:
    """The folder a bucket name stands for (see the module's docstring)."""
    name = (bucket or "").strip()
    if not name:
        raise PlatformError(f"{field} is empty: name a bucket (a folder under {state_dir / BUCKETS}) or a file:// path")
    if name.lower().startswith("file://"):
        parts = urlsplit(name)
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise PlatformError(f"{field} {name!r} is not a file:// URI of an absolute path (file:///data/in)")
        return Path(unquote(parts.path))
    if "://" in name:
        raise PlatformError(
            f"{field} {name!r}: the local platform reads and writes local folders only; use a plain name "
            f"(a folder under {state_dir / BUCKETS}), an absolute path or a file:// URI"
        )
    if os.path.isabs(name):
        return Path(name)
    root = state_dir / BUCKETS
    return root / _inside(root, name, f"{field} {name!r}", allow_root=False)


def folder_path(state_dir: Path, bucket: str | None, folder: str | None, *, kind: str) -> Path:
    """``<bucket>/<folder>`` for ``kind`` "source" or "destination", never outside the bucket."""
    root = bucket_path(state_dir, bucket, field=f"{kind}_bucket")
    relative = (folder or "").strip()
    if not relative:
        return root
    return root / _inside(root, relative, f"{kind}_folder {relative!r}", allow_root=True)


def _inside(root: Path, relative: str, what: str, *, allow_root: bool) -> str:
    """``relative`` normalised, checked (lexically: no symlink is followed) to stay under ``root``."""
    if os.path.isabs(relative):
        raise PlatformError(f"{what} must be relative to its bucket, not an absolute path")
    normal = os.path.normpath(relative)
    if normal == ".." or normal.startswith(".." + os.sep) or (normal == "." and not allow_root):
        raise PlatformError(f"{what} leads outside {root}: '..' may not climb out of a bucket")
    return "" if normal == "." else normal


def input_files(source: Path, input_type: str, *, destination: Path) -> list[str]:
    """The input files under ``source`` (relative paths, sorted), selected by ``input_type``'s
    extension as on JFrog ML; hidden files and anything under ``destination`` are left out."""
    if not source.exists():
        raise PlatformError(f"the source folder {source} does not exist; put the {input_type} files to score there")
    if not source.is_dir():
        raise PlatformError(f"the source folder {source} is a file, not a folder")
    real_source, real_destination = source.resolve(), destination.resolve()
    if real_source == real_destination or real_destination in real_source.parents:
        same = real_source == real_destination
        where = "is the destination folder" if same else f"is inside the destination {destination}"
        raise PlatformError(
            f"the source folder {source} {where}: the outputs would be written among the inputs they are made from; "
            "choose a destination_folder outside the source folder (a destination inside the source is fine)"
        )
    extensions = INPUT_EXTENSIONS[input_type]
    found: list[str] = []
    others: list[str] = []
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path == destination or destination in path.parents:
            continue
        (found if path.suffix.lower() in extensions else others).append(relative.as_posix())
    if not found:
        other = f" (it holds {len(others)} other file(s), e.g. {others[0]!r})" if others else " (it is empty)"
        raise PlatformError(
            f"the source folder {source} has no {input_type} file ({', '.join(extensions)}){other}; "
            "check source_folder and input_file_type"
        )
    return found


def output_names(inputs: list[str], output_type: str) -> list[str]:
    """One output per input: the same relative path with the output type's extension."""
    outputs = [str(Path(name).with_suffix(OUTPUT_EXTENSION[output_type]).as_posix()) for name in inputs]
    seen: dict[str, str] = {}
    for source, target in zip(inputs, outputs, strict=True):
        if target in seen:
            raise PlatformError(f"input files {seen[target]!r} and {source!r} would both write {target!r}; rename one")
        seen[target] = source
    return outputs


def read_frame(path: Path, input_type: str, shown: str) -> Any:
    import pandas as pd

    try:
        if input_type == "csv":
            return pd.read_csv(path)
        if input_type == "parquet":
            return pd.read_parquet(path)
        return pd.read_feather(path)
    except ImportError as error:
        raise BatchFileError(f"{shown}: reading {input_type} needs pyarrow ({error}); pip install pyarrow") from None
    except Exception as error:  # noqa: BLE001 - any parse failure: name the file and the reader's reason
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise BatchFileError(f"{shown} cannot be read as {input_type}: {reason}") from None


def write_frame(frame: Any, path: Path, output_type: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if output_type == "csv":
        frame.to_csv(path, index=False)
    elif output_type == "parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.reset_index(drop=True).to_feather(path)


def predictions_frame(predictions: Any, rows: int, shown: str) -> Any:
    """The model's output as a frame of ``rows`` rows (a frame, a series, an array, a list)."""
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        frame = predictions
    elif isinstance(predictions, pd.Series):
        frame = predictions.to_frame(name=predictions.name if predictions.name is not None else "prediction")
    else:
        frame = pd.DataFrame(predictions)
        if list(frame.columns) == [0]:
            frame.columns = ["prediction"]
    if len(frame) != rows:
        raise BatchFileError(f"{shown}: the model returned {len(frame)} row(s) for {rows} input row(s)")
    frame = frame.reset_index(drop=True)
    frame.columns = [str(column) for column in frame.columns]
    return frame


def merged(inputs: Any, outputs: Any) -> Any:
    """The model's columns, after the input columns the model's output does not carry."""
    import pandas as pd

    inputs = inputs.reset_index(drop=True)
    inputs.columns = [str(column) for column in inputs.columns]
    kept = [column for column in inputs.columns if column not in set(outputs.columns)]
    return pd.concat([inputs[kept], outputs], axis=1)
