"""A batch job's folders as JFrog ML reads them: ``{strftime}`` templates and file types. Pure.

JFrog ML renders a timestamp template in ``source_folder`` and ``destination_folder`` when an
automation runs: a Python ``strftime`` format wrapped in curly brackets, ``"input/{%d-%m-%Y}"`` ->
``"input/23-05-2023"``. Here the timestamp is the DAG run's logical date (UTC), so a rerun of a
past run reads and writes that run's folders. ``%`` codes outside brackets are not a template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

TEMPLATE = re.compile(r"\{(%[^{}]*)\}")
_BARE_CODE = re.compile(r"%[a-zA-Z]")
TEMPLATED_FIELDS = ("source_folder", "destination_folder")

# What a file type reads (JFrog ML selects the input files by extension) and writes.
INPUT_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "csv": (".csv",),
    "parquet": (".parquet", ".pq"),
    "feather": (".feather", ".ftr"),
}
OUTPUT_EXTENSION: dict[str, str] = {"csv": ".csv", "parquet": ".parquet", "feather": ".feather"}


def render_folder(folder: str | None, when: datetime) -> str:
    """``folder`` with each ``{%...}`` template replaced by ``when.strftime(...)``."""
    return TEMPLATE.sub(lambda match: when.strftime(match.group(1)), folder or "")


def bare_codes(folder: str | None) -> bool:
    """True when ``folder`` has strftime codes outside ``{...}`` (kept literally, as on JFrog ML)."""
    return bool(_BARE_CODE.search(TEMPLATE.sub("", folder or "")))


def render_data_spec(spec: Mapping[str, Any], when: datetime) -> dict[str, Any]:
    """The data specification with its folders' templates rendered for ``when``."""
    rendered = dict(spec)
    for name in TEMPLATED_FIELDS:
        rendered[name] = render_folder(spec.get(name), when)
    return rendered


def file_type(spec: Mapping[str, Any], name: str) -> str:
    """``input_file_type``/``output_file_type`` lower-cased, as the SDK sends it."""
    return str(spec.get(name) or "csv").strip().lower()
