"""The automations folder split over several loader DAG files ("shares"). Pure: no Airflow.

Airflow parses one DAG file in one process, inside one ``dagbag_import_timeout`` and one
``dag_file_processor_timeout``, and ``[dag_processor] parsing_processes`` work in parallel only
across files. So ``frogml-airflow init`` writes ``SHARES`` loader files, and each takes the
automation files whose relative path hashes to its number: a share's cost stays a fraction of
the folder's, the shares parse in parallel, and one that fails (or times out) costs only its
own automations. The hash is of the path alone, so adding, removing or renaming one file never
moves another file to another share, and DAG ids stay the automations' names.

Duplicate names across shares: a share cannot see the other shares' automations without
importing their files (the cost and the risk sharding avoids), so each share writes the names it
loaded to a small index, one JSON file per share (``NameIndex``), and reads the others'. A claim
counts only while its file is unchanged (same size and mtime), so an edit or a rename frees the
name at once. As without shares, the file first in sorted order keeps the DAG; the other gets an
import error naming both files. A new duplicate is caught from the later file's next parse (the
earlier file's share must have written its claim first), so for one pass both DAGs may exist.

The same file is the loader's record for the console (``Record``): per DAG it generated, the
automation's name, its file, what the ledger said, and a digest of each AutomationSpec field (for
drift against JFrog ML without keeping a secret in a file). The console reads it with
``read_records``, so Airflow's API server never imports an automation file to know them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from frogml_airflow_provider.dags.plan import dag_id_for

# What ``frogml-airflow init`` writes. Every DAG file costs the dag-processor ~0.1 s of CPU per pass
# whatever it holds, and Airflow's default parsing_processes is 2: eight shares parse in parallel on
# up to eight processes, and 5,000 automations make ~625 per share (~3 s each, a tenth of the timeout).
SHARES = 8
LOADER_PREFIX = "frogml_automations_"


def share_of(relative: str, shares: int) -> int:
    """The share of an automation file, by its path relative to the automations folder."""
    digest = hashlib.blake2b(relative.replace(os.sep, "/").encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shares


def loader_name(share: int, shares: int) -> str:
    """``frogml_automations_03.py``: the loader file of one share."""
    return f"{LOADER_PREFIX}{share:0{max(2, len(str(shares - 1)))}d}.py"


# The call that makes a DAG file a loader file: ``load_share(__file__, "automations", share=0, shares=8)``
# as ``frogml-airflow init`` writes it, or ``load_dags(__file__, "automations")`` from an earlier init.
_LOADER_IMPORT = re.compile(
    r"^from frogml_airflow_provider\.(dags\.loader|dag_loader) import (load_share|load_dags)\b", re.M
)
_LOADER_CALL = re.compile(
    r"""\b(?:load_share|load_dags)\(\s*__file__\s*(?:,\s*(?P<q>["'])(?P<folder>[^"'\\]+)(?P=q))?"""
)


def loader_folder(text: str) -> str | None:
    """The automations folder a loader DAG file reads (relative to it), when ``text`` is one: as
    ``init`` wrote it or edited, as long as it still calls the loader; None for any other file."""
    if not _LOADER_IMPORT.search(text):
        return None
    call = _LOADER_CALL.search(text)
    if call is None:
        return None
    return call.group("folder") or "automations"  # load_dags' default


@dataclass(frozen=True)
class Claim:
    """An automation name that a file of another share defined, when that file was last loaded."""

    file: str  # relative to the automations folder
    name: str

    @property
    def dag_id(self) -> str:
        return dag_id_for(self.name)


@dataclass(frozen=True)
class Loaded:
    """One file this share loaded: its stat before the import, and the names it defined."""

    file: str
    mtime_ns: int
    size: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class Record:
    """What the loader knew of one automation it made a DAG of, for the console."""

    dag_id: str
    name: str
    file: str  # relative to the automations folder
    runs_on: str  # what the ledger said: "airflow", "jfrog", or "unknown" (the ledger unreadable)
    since: str  # when it was handed over to JFrog ML ("" when it runs on Airflow)
    spec: dict[str, str]  # AutomationSpec protobuf-JSON field -> digest of its value (never the value)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "file": self.file, "runs_on": self.runs_on, "since": self.since, "spec": self.spec}


def field_digests(spec: dict[str, object]) -> dict[str, str]:
    """Each top-level field's value as a short digest: equal values, equal digests; no value kept."""
    return {key: digest(value) for key, value in spec.items()}


def digest(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class RecordSet:
    """Every share's records found under an index home: dag_id -> the newest record of it."""

    records: dict[str, Record]
    roots: tuple[str, ...]  # the automations folders they come from
    problems: tuple[str, ...]  # index files that could not be read (each named)


def read_records(base: Path) -> RecordSet:
    """The records of every share of every automations folder indexed under ``base``.

    Where two files record one DAG id (an old share count, a folder moved), the newer file wins.
    A file that cannot be read is named in ``problems`` and costs only its own records.
    """
    found: dict[str, tuple[int, Record]] = {}
    roots: set[str] = set()
    problems: list[str] = []
    try:
        paths = sorted(base.glob("*/share-*.json"))
    except OSError as error:
        return RecordSet({}, (), (f"{base}: {error.strerror or error}",))
    for path in paths:
        try:
            stat = path.stat()
            mtime = stat.st_mtime_ns
            data = _cached_json(path, (mtime, stat.st_size))
            root = str(data.get("root", ""))
            entries = data.get("automations", {})
            records = [
                Record(
                    dag_id=str(dag_id),
                    name=str(item["name"]),
                    file=str(item["file"]),
                    runs_on=str(item["runs_on"]),
                    since=str(item.get("since", "")),
                    spec={str(k): str(v) for k, v in dict(item.get("spec", {})).items()},
                )
                for dag_id, item in dict(entries).items()
            ]
        except FileNotFoundError:
            continue  # replaced between the listing and the read: the next view sees the new one
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            problems.append(f"{path}: not a loader record this version can read ({type(error).__name__})")
            continue
        roots.add(root)
        for record in records:
            if record.dag_id not in found or found[record.dag_id][0] < mtime:
                found[record.dag_id] = (mtime, record)
    return RecordSet({dag_id: record for dag_id, (_, record) in found.items()}, tuple(sorted(roots)), tuple(problems))


_PARSED: dict[Path, tuple[tuple[int, int], dict[str, Any]]] = {}  # path -> ((mtime_ns, size), content)


def _cached_json(path: Path, version: tuple[int, int]) -> dict[str, Any]:
    """One parse per change of the file, not one per view."""
    cached = _PARSED.get(path)
    if cached is not None and cached[0] == version:
        return cached[1]
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise TypeError("not a JSON object")
    _PARSED[path] = (version, data)
    return data


class NameIndex:
    """The names each share loaded, one JSON file per share in ``directory`` (one per folder).

    Written with an atomic rename, only when it changed; a missing, unreadable or foreign file
    counts as "no claims", so a broken index never costs a DAG, only the cross-share check.
    """

    def __init__(self, directory: Path, root: Path, share: int, shares: int) -> None:
        self.directory = directory
        self.root = root
        self.share = share
        self.shares = shares

    @staticmethod
    def folder_for(base: Path, root: Path) -> Path:
        """Where the index of the automations folder ``root`` lives, under ``base``."""
        return base / hashlib.blake2b(str(root.resolve()).encode(), digest_size=8).hexdigest()

    def _path(self, share: int) -> Path:
        return self.directory / f"share-{share:03d}-of-{self.shares:03d}.json"

    def write(self, loaded: Iterable[Loaded], records: Iterable[Record] = ()) -> None:
        data = {
            "root": str(self.root),
            "files": {item.file: [item.mtime_ns, item.size, list(item.names)] for item in loaded},
            "automations": {record.dag_id: record.to_json() for record in records},
        }
        text = json.dumps(data, sort_keys=True)
        path = self._path(self.share)
        try:
            if path.exists() and path.read_text() == text:
                return
            self.directory.mkdir(parents=True, exist_ok=True)
            scratch = path.with_suffix(f".{os.getpid()}.tmp")
            scratch.write_text(text)
            os.replace(scratch, path)
        except OSError:
            return  # a read-only home: only the cross-share duplicate check is lost

    def claims(self, dag_ids: Iterable[str]) -> dict[str, Claim]:
        """dag_id -> the first claim in sorted file order, from the other shares' unchanged files,
        for the given DAG ids only (a file is stat'ed only when it claims one of them)."""
        wanted = set(dag_ids)
        found: dict[str, Claim] = {}
        for share in range(self.shares):
            if share == self.share:
                continue
            for claim in self._read(share, wanted):
                first = found.get(claim.dag_id)
                if first is None or claim.file < first.file:
                    found[claim.dag_id] = claim
        return found

    def _read(self, share: int, wanted: set[str]) -> list[Claim]:
        try:
            data = json.loads(self._path(share).read_text())
            files = data["files"] if data.get("root") == str(self.root) else {}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return []
        claims: list[Claim] = []
        for file, entry in files.items():
            try:
                mtime_ns, size, names = entry
                if not any(dag_id_for(str(name)) in wanted for name in names):
                    continue
                stat = (self.root / file).stat()
            except (OSError, ValueError, TypeError):
                continue  # gone, renamed, or a malformed entry: no claim
            if (stat.st_mtime_ns, stat.st_size) == (mtime_ns, size):
                claims.extend(Claim(file, str(name)) for name in names if dag_id_for(str(name)) in wanted)
        return claims
