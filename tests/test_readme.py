"""The README's promises that a newcomer acts on first agree with the project: the Python version,
how to install (the package is not on PyPI), the extras it names, and the connection's name."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# The README's guides may move to docs/: what holds for the README holds for them.
DOCS = "\n".join(path.read_text() for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))])


def section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def setup_cfg() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / "setup.cfg")
    return parser


def test_the_python_version_is_the_one_the_scripts_use_and_the_package_needs() -> None:
    script = (ROOT / "scripts" / "_env.sh").read_text()
    (wanted,) = re.findall(r"sys\.version_info\[:2\] != \((\d+), (\d+)\)", script)
    version = ".".join(wanted)
    assert f"with Python {version}, the version the tests run on" in README
    assert "3.12+" not in DOCS  # the scripts take exactly one version
    required = setup_cfg()["options"]["python_requires"].strip()
    assert required == f">={version}" and f"needs Python {version} or later" in README


def test_install_from_the_clone_with_extras_that_exist() -> None:
    text = section("Use it in your Airflow")
    assert "pip install airflow-provider-frogml" not in text  # not published: that line would fail
    extras = set(setup_cfg()["options.extras_require"])
    named = set(re.findall(r'pip install "[^"\s]*\[(\w+)\]"', text))
    assert named == {"local", "frogml"} and named <= extras
    assert "pip wheel" in text


def test_the_default_connection_is_named_by_its_id() -> None:
    assert "the `frogml` connection" not in DOCS and "The `frogml` connection" not in DOCS
    assert "the `frogml_default` connection" in DOCS
