"""The client's pieces that need no server: scrubbing, and what a session is built with."""

from __future__ import annotations

import pytest

from frogml_airflow_provider.errors import SetupError
from frogml_airflow_provider.platform.jfrog.session import credentials, scrub


@pytest.mark.parametrize(
    ("text", "secrets", "shown"),
    [
        pytest.param("token abcdef in here", ["abcdef"], "token <hidden> in here", id="one"),
        pytest.param("https://h/x?sig=abc123", ["https://h/x?sig=abc123", "abc123"], "<hidden>", id="longest-first"),
        pytest.param("a b c", ["b"], "a b c", id="too-short-to-matter"),
        pytest.param("nothing", [], "nothing", id="none"),
        pytest.param("x1234 and x1234", ["x1234"], "<hidden> and <hidden>", id="every-occurrence"),
    ],
)
def test_scrub(text: str, secrets: list[str], shown: str) -> None:
    assert scrub(text, secrets) == shown


def test_no_token_is_a_setup_error_naming_the_connection_and_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JF_URL", "JF_ACCESS_TOKEN", "AIRFLOW_CONN_FROGML_NONE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SetupError, match=r"connection 'frogml_none'.*JF_ACCESS_TOKEN") as failure:
        credentials("frogml_none")
    assert failure.value.exit_code == 2
