"""The local analytics store on real SQLite: queries only read, stop at their time limit, and
every model id has a table of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from frogml_airflow_provider.platform.base import PlatformError, QueryTimeout
from frogml_airflow_provider.platform.local.analytics import AnalyticsStore, table_for
from tests.support.bounded import outcome_within

FOREVER = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


@pytest.fixture
def store(tmp_path: Path) -> AnalyticsStore:
    analytics = AnalyticsStore(tmp_path / "state" / "analytics.db")
    analytics.ensure_table("tiny-model")
    for latency in (10.0, 30.0):
        analytics.record(
            "tiny-model",
            variation="default",
            build_id="b",
            request="{}",
            response="[]",
            latency_ms=latency,
            error=None,
            status=200,
        )
    return analytics


def test_a_query_that_never_ends_is_stopped_at_its_limit(store: AnalyticsStore) -> None:
    _, error = outcome_within(60, lambda: store.query(FOREVER, timeout=0.3))
    assert isinstance(error, QueryTimeout) and error.limit == 0.3
    assert "did not finish within 0.3 s and was stopped" in str(error) and "WITH RECURSIVE" in str(error)


@pytest.mark.parametrize(
    ("sql", "asked"),
    [
        ("ATTACH DATABASE '{path}' AS other", "ATTACH"),
        ("VACUUM INTO '{path}'", "ATTACH"),  # VACUUM INTO attaches its target
        ("DELETE FROM tiny_model", "DELETE"),
        ("PRAGMA query_only = OFF", "PRAGMA"),
        ("CREATE TEMP TABLE t AS SELECT 1", "CREATE TEMP TABLE"),
    ],
)
def test_a_query_may_only_read(store: AnalyticsStore, tmp_path: Path, sql: str, asked: str) -> None:
    created = tmp_path / "created.db"
    with pytest.raises(PlatformError, match=f"a query may only read .* asks for .*{asked}"):
        store.query(sql.format(path=created))
    assert not created.exists()
    assert store.query("SELECT COUNT(*) FROM tiny_model").single_number("rows") == 2


@pytest.mark.parametrize(
    ("sql", "value"),
    [
        ("SELECT AVG(latency_ms) FROM tiny_model", 20.0),
        ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 5) SELECT sum(x) FROM c", 15.0),
        ("SELECT MAX(latency_ms) OVER () FROM tiny_model LIMIT 1", 30.0),
        ("SELECT json_array_length(response) + abs(-1) FROM tiny_model LIMIT 1", 1.0),
    ],
)
def test_reads_with_functions_windows_and_bounded_recursion_work(store: AnalyticsStore, sql: str, value: float) -> None:
    assert store.query(sql).single_number("q") == value


def test_distinct_model_ids_never_share_a_table(store: AnalyticsStore) -> None:
    ids = ("iris-classifier", "iris_classifier", "Iris.Classifier", "iris-classifier-v2", "iris--classifier")
    tables = {model_id: table_for(model_id) for model_id in ids}
    assert len(set(tables.values())) == len(ids), tables
    assert tables["iris-classifier"] == "iris_classifier"  # the documented, readable name
    assert tables["iris-classifier-v2"] == "iris_classifier_v2"
    assert re.fullmatch(r"iris_classifier__[0-9a-f]{8}", tables["iris_classifier"])
    for number, model_id in enumerate(ids):
        store.ensure_table(model_id)
        for _ in range(number + 1):
            store.record(
                model_id, variation="v", build_id="b", request="{}", response="[]", latency_ms=1, error=None, status=200
            )
    for number, model_id in enumerate(ids):
        assert store.query(f'SELECT COUNT(*) FROM "{tables[model_id]}"').single_number("q") == number + 1


def test_no_such_table_names_the_tables_there_are(store: AnalyticsStore) -> None:
    store.ensure_table("my_model")
    with pytest.raises(
        PlatformError, match=r"no such table: my_model; the tables are: my_model__[0-9a-f]{8}, tiny_model"
    ):
        store.query("SELECT COUNT(*) FROM my_model")


def test_a_table_already_owned_by_another_model_id_is_refused_not_shared(store: AnalyticsStore) -> None:
    import sqlite3

    store.ensure_table("iris_classifier")
    db = sqlite3.connect(store.path)
    db.execute("UPDATE _model_tables SET model_id = 'another.id' WHERE name = ?", (table_for("iris_classifier"),))
    db.commit()
    db.close()  # as if 'another.id' had the same name and hash
    with pytest.raises(PlatformError, match=r"model ids 'another.id' and 'iris_classifier' map to one analytics table"):
        store.ensure_table("iris_classifier")
