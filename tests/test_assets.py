"""The ``frogml://`` assets: URIs, Airflow's normalizer for the scheme (as registered in the provider
info), batch folders as asset URIs, and the helpers that keep an extra secret-free and strict JSON."""

from __future__ import annotations

import json
import math

import pytest
from airflow.sdk import Asset, AssetAlias

from frogml_airflow_provider.assets import (
    build_uri,
    frogml_batch_output,
    frogml_build,
    frogml_model,
    json_safe,
    model_uri,
    output_uri,
    public_url,
)


def test_helpers_name_one_asset_per_model_and_variation() -> None:
    assert frogml_model("iris-classifier") == Asset(uri="frogml://models/iris-classifier/default", group="frogml")
    assert frogml_model("iris-classifier", variation="B").uri == "frogml://models/iris-classifier/B"
    assert frogml_build("iris-classifier").uri == "frogml://builds/iris-classifier"
    assert frogml_batch_output("nightly_batch") == AssetAlias(name="frogml-batch-output/nightly_batch", group="frogml")
    assert model_uri("a b/c", "x") == "frogml://models/a%20b%2Fc/x"  # one path segment per id, whatever it holds


@pytest.mark.parametrize(
    ("given", "normalized"),
    [
        ("frogml://models/iris/default", "frogml://models/iris/default"),
        ("FROGML://Models/iris/default/", "frogml://models/iris/default"),  # kind: any case; ids keep theirs
        ("frogml://models/Iris/B#part", "frogml://models/Iris/B"),
        ("frogml://builds/iris", "frogml://builds/iris"),
    ],
)
def test_airflow_normalizes_frogml_uris_with_the_registered_handler(given: str, normalized: str) -> None:
    assert Asset(uri=given).uri == normalized


@pytest.mark.parametrize(
    "bad", ["frogml://models/iris", "frogml://models/iris/a/b", "frogml://builds/", "frogml://deployments/iris/x"]
)
def test_a_uri_of_no_known_form_is_refused_saying_which_forms_exist(bad: str) -> None:
    with pytest.raises(ValueError, match=r"frogml://models/<model_id>/<variation>.*frogml://builds/<model_id>"):
        Asset(uri=bad)
    with pytest.raises(ValueError, match="non-empty model_id"):
        build_uri(" ")


@pytest.mark.parametrize(
    ("location", "uri"),
    [
        (
            "/srv/state/buckets/iris-scores/nightly/2026-12-05",
            "file:///srv/state/buckets/iris-scores/nightly/2026-12-05",
        ),
        ("/data/with space", "file:///data/with%20space"),
        ("iris-scores/nightly/2026-12-05", "s3://iris-scores/nightly/2026-12-05"),  # JFrog ML: bucket/folder
        ("s3://key:secret@bucket/path?X-Amz-Signature=abc", "s3://bucket/path"),
        ("", None),
    ],
)
def test_a_batch_folder_becomes_the_uri_airflow_and_openlineage_use(location: str, uri: str | None) -> None:
    assert output_uri(location) == uri


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://user:ghp_TOKEN@github.com/org/repo.git", "https://github.com/org/repo.git"),
        ("https://github.com/org/repo.git?access_token=TOKEN#main", "https://github.com/org/repo.git"),
        ("http://127.0.0.1:8123/v1/iris/predict", "http://127.0.0.1:8123/v1/iris/predict"),
        ("/tmp/repo", "/tmp/repo"),
    ],
)
def test_public_url_drops_whatever_a_credential_hides_in(url: str, public: str) -> None:
    assert public_url(url) == public


def test_json_safe_turns_infinities_into_null_for_strict_json() -> None:
    gate = {"threshold": -math.inf, "value": 0.9, "runs": [math.nan, 1]}
    assert json_safe(gate) == {"threshold": None, "value": 0.9, "runs": [None, 1]}
    json.dumps(json_safe(gate), allow_nan=False)
