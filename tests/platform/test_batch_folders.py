"""JFrog ML's ``{strftime}`` folder templates, rendered from a run's logical date (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from frogml_airflow_provider.platform.batch_folders import bare_codes, file_type, render_data_spec, render_folder

WHEN = datetime(2023, 5, 23, 6, 7, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("folder", "rendered"),
    [
        ("input_folder/{%d-%m-%Y}", "input_folder/23-05-2023"),  # the JFrog ML docs' own example
        ("daily/{%Y}/{%m}/{%d}", "daily/2023/05/23"),
        ("at/{%Y-%m-%dT%H:%M:%S}", "at/2023-05-23T06:07:08"),
        ("plain/folder", "plain/folder"),
        ("bare/%Y-%m-%d", "bare/%Y-%m-%d"),  # not a template: kept, as JFrog ML keeps it
        ("{not-a-template}", "{not-a-template}"),
        ("", ""),
        (None, ""),
    ],
)
def test_templates_are_rendered_from_the_logical_date(folder: str | None, rendered: str) -> None:
    assert render_folder(folder, WHEN) == rendered


@pytest.mark.parametrize(
    ("folder", "bare"),
    [("bare/%Y-%m-%d", True), ("ok/{%Y-%m-%d}", False), ("100%/done", False), ("x/{%Y}/%d", True), (None, False)],
)
def test_bare_strftime_codes_are_noticed(folder: str | None, bare: bool) -> None:
    assert bare_codes(folder) is bare


def test_only_the_folders_of_a_data_spec_are_rendered() -> None:
    spec = {"source_bucket": "in-{%Y}", "source_folder": "a/{%Y}", "destination_folder": "b/{%m}", "kind": "X"}
    assert render_data_spec(spec, WHEN) == {
        "source_bucket": "in-{%Y}",
        "source_folder": "a/2023",
        "destination_folder": "b/05",
        "kind": "X",
    }
    assert spec["source_folder"] == "a/{%Y}"  # the operator's own argument is left as it was


def test_file_types_are_read_as_the_sdk_sends_them() -> None:
    assert file_type({"input_file_type": " Parquet "}, "input_file_type") == "parquet"
    assert file_type({}, "output_file_type") == "csv"
