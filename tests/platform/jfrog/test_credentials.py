"""Where JFrog ML is and which token to send: the connection first, the environment after."""

from __future__ import annotations

import json

import pytest

from frogml_airflow_provider.platform.base import PlatformError
from frogml_airflow_provider.platform.jfrog import _credentials
from frogml_airflow_provider.platform.jfrog._credentials import DEFAULT_GRPC_ADDRESS, grpc_target, resolve
from tests.support.jfrog import TOKEN


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JF_URL", "JF_ACCESS_TOKEN", "CONTROL_PLANE_GRPC_ADDRESS", "AIRFLOW_CONN_JF"):
        monkeypatch.delenv(name, raising=False)


def conn(monkeypatch: pytest.MonkeyPatch, **fields: object) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_JF", json.dumps({"conn_type": "frogml", **fields}))


def test_a_jfrog_url_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    conn(monkeypatch, host="https://acme.jfrog.io", password=TOKEN)
    found = resolve("jf")
    assert found.url == "https://acme.jfrog.io"
    assert (found.grpc_address, found.tls) == (DEFAULT_GRPC_ADDRESS, True)
    assert found.token == TOKEN
    assert found.token_source == "the password of Airflow connection 'jf'"


def test_a_host_without_scheme_is_https_and_the_grpc_address_comes_from_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    conn(monkeypatch, host="acme.jfrog.io", password=TOKEN, extra={"grpc_address": "grpc.acme.ml", "tenant_id": "t1"})
    found = resolve("jf")
    assert found.url == "https://acme.jfrog.io"
    assert (found.grpc_address, found.tls, found.tenant_id) == ("grpc.acme.ml:443", True, "t1")


def test_the_sdk_override_of_the_control_plane_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    conn(monkeypatch, host="https://acme.jfrog.io", password=TOKEN)
    monkeypatch.setenv("CONTROL_PLANE_GRPC_ADDRESS", "grpc.eu.acme.ml")
    assert resolve("jf").grpc_address == "grpc.eu.acme.ml:443"


def test_a_grpc_host_is_the_control_plane_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    conn(monkeypatch, host="grpc://127.0.0.1", port=7001, password=TOKEN)
    found = resolve("jf")
    assert (found.grpc_address, found.tls, found.url) == ("127.0.0.1:7001", False, "")
    conn(monkeypatch, host="grpcs://cp.internal:8443", password=TOKEN)
    assert (resolve("jf").grpc_address, resolve("jf").tls) == ("cp.internal:8443", True)


def test_without_a_connection_the_environment_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JF_URL", "https://env.jfrog.io/")
    monkeypatch.setenv("JF_ACCESS_TOKEN", TOKEN)
    found = resolve("no_such_connection")
    assert (found.url, found.token, found.token_source) == ("https://env.jfrog.io", TOKEN, "JF_ACCESS_TOKEN")


def test_the_locator_url_is_used_when_the_connection_has_no_host(monkeypatch: pytest.MonkeyPatch) -> None:
    conn(monkeypatch, password=TOKEN)
    assert resolve("jf", "https://hint.jfrog.io").url == "https://hint.jfrog.io"


def test_no_token_says_where_to_put_one(monkeypatch: pytest.MonkeyPatch) -> None:
    conn(monkeypatch, host="https://acme.jfrog.io")
    with pytest.raises(PlatformError, match=r"set the password of Airflow connection 'jf'.*or set JF_ACCESS_TOKEN"):
        resolve("jf")


def test_no_address_says_where_to_put_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JF_ACCESS_TOKEN", TOKEN)
    with pytest.raises(PlatformError, match=r"set the host of Airflow connection 'nothing'.*or set JF_URL"):
        resolve("nothing")


def test_the_token_is_masked_and_kept_out_of_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    masked: list[str] = []
    monkeypatch.setattr("airflow.sdk.log.mask_secret", lambda value, *a, **k: masked.append(value))
    conn(monkeypatch, host="https://acme.jfrog.io", password=TOKEN)
    found = resolve("jf")
    assert masked == [TOKEN]
    assert TOKEN not in repr(found)


@pytest.mark.parametrize(
    ("address", "tls", "target"),
    [
        ("grpc.acme.ml", True, ("grpc.acme.ml:443", True)),
        ("grpc.acme.ml:9000", True, ("grpc.acme.ml:9000", True)),
        ("https://edge.acme.ml", False, ("edge.acme.ml:443", True)),
        ("grpc://127.0.0.1:5000", True, ("127.0.0.1:5000", False)),
        ("127.0.0.1:5000", False, ("127.0.0.1:5000", False)),
    ],
)
def test_grpc_targets(address: str, tls: bool, target: tuple[str, bool]) -> None:
    assert grpc_target(address, tls) == target


@pytest.mark.sdk
def test_the_default_control_plane_is_the_sdks(sdk) -> None:
    """The address we default to is the one the SDK's own configuration names."""
    import importlib.resources

    import yaml

    text = importlib.resources.files("frogml.core.inner.di_configuration").joinpath("config.yml").read_text()
    core = yaml.safe_load(text)["grpc"]["core"]
    assert f"{core['address']}:443" == _credentials.DEFAULT_GRPC_ADDRESS and core["enable_ssl"] is True
