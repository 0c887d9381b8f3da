"""Every path of the local platform, kept inside its state folder, and its cross-process locks.

Identifiers (model ids, variations, build ids) become folder names here. A name that is not one
plain path segment, or a path that resolves outside the state folder (``..``, an absolute id, a
symlink), is refused before anything is written: one helper, :meth:`StateDir.inside`, builds them all.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from frogml_airflow_provider.platform.base import PlatformError

_FORBIDDEN = ("/", "\\", "\0")
LOCK_TIMEOUT = 60.0  # a deploy holds it for milliseconds; a minute means its holder is stuck


class UnsafePathError(PlatformError):
    """An identifier would place the local platform's files outside its state folder."""


class StateDir:
    """The state folder: ``platform.db``, ``analytics.db``, ``builds/<id>/``, ``deployments/<model>-<variation>/``."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).expanduser().absolute()

    @property
    def db(self) -> Path:
        return self.root / "platform.db"

    @property
    def analytics_db(self) -> Path:
        return self.root / "analytics.db"

    def inside(self, what: str, *names: str) -> Path:
        """``root/names[0]/names[1]/...``, each name one plain segment, the result inside ``root``."""
        for name in names:
            if not name or name in (".", "..") or any(c in name for c in _FORBIDDEN) or name.startswith("~"):
                raise UnsafePathError(
                    f"refusing {what} {name!r}: the local platform uses it as a folder name under {self.root}, "
                    "so it must be one plain name (no '/', '\\', '..', '~' or empty); use letters, digits, "
                    "'-', '_' and '.'"
                )
        path = self.root.joinpath(*names)
        resolved, root = path.resolve(), self.root.resolve()
        if resolved != root and not resolved.is_relative_to(root):
            raise UnsafePathError(
                f"refusing {what} {'/'.join(names)!r}: it resolves to {resolved}, outside the local platform's "
                f"state folder {root} (a symlink?); remove the link or choose another name"
            )
        return path

    def build_dir(self, build_id: str) -> Path:
        return self.inside("build id", "builds", build_id)

    def deployment_dir(self, model_id: str, variation: str) -> Path:
        self.inside("model_id", model_id)  # each identifier on its own, so the error names it
        self.inside("variation_name", variation)
        return self.inside("deployment", "deployments", f"{model_id}-{variation}")

    @contextmanager
    def lock(self, name: str, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
        """An exclusive lock shared by every process using this state folder (workers, servers).

        Held only for short steps (starting a server); released when its holder dies.
        """
        path = self.inside("lock", "locks", f"{name}.lock")
        if not self.root.is_dir():  # never recreate a deleted state folder as a side effect of locking
            raise PlatformError(f"the local platform's state folder {self.root} does not exist (deleted?)")
        path.parent.mkdir(exist_ok=True)
        deadline = time.monotonic() + timeout
        with open(path, "a") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise PlatformError(
                            f"could not take the lock {path} within {timeout:g} s: another process holds it; "
                            "if none runs, delete the file and retry"
                        ) from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
