"""The README's promises that a newcomer acts on first agree with the project: the Python version,
how to install (the package is not on PyPI), the extras it names, and the connection's name; and the
README and the guides in docs/ link to each other with links that resolve."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
GUIDES = sorted((ROOT / "docs").rglob("*.md"))
# The README is the front door and the guides in docs/ hold the rest: what holds for one holds for all.
DOCS = "\n".join(path.read_text() for path in [ROOT / "README.md", *GUIDES])


def anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a Markdown file (lower case, punctuation dropped, - for spaces)."""
    text = re.sub(r"^[ \t]*```.*?^[ \t]*```", "", path.read_text(), flags=re.M | re.S)
    titles = re.findall(r"^#+ (.+)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-") for title in titles}


def links(path: Path) -> list[str]:
    """The relative link and image targets of a Markdown file, outside code blocks."""
    text = re.sub(r"^[ \t]*```.*?^[ \t]*```", "", path.read_text(), flags=re.M | re.S)
    return [target for target in re.findall(r"\]\(([^)\s]+)\)", text) if not target.startswith("http")]


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


def test_the_two_commands_are_the_readmes_first_section() -> None:
    commands = section("Two commands, on a fresh machine")
    assert "bash scripts/demo.sh" in commands and "bash scripts/test.sh" in commands


def test_every_guide_is_linked_from_the_readme_and_back() -> None:
    assert GUIDES, "docs/ holds the guides"
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in links(ROOT / "README.md")}
    assert [guide.name for guide in GUIDES if guide.resolve() not in linked] == []
    assert [guide.name for guide in GUIDES if "../README.md" not in links(guide)] == []


def test_links_and_images_resolve_to_files_and_headings() -> None:
    broken = []
    for path in [ROOT / "README.md", *GUIDES]:
        for target in links(path):
            file, _, anchor = target.partition("#")
            dest = (path.parent / file).resolve() if file else path
            if not dest.exists() or (anchor and anchor not in anchors(dest)):
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert broken == []
