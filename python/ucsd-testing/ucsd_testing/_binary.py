"""Where the `ucsd` binary is: the one this wheel installed, unless told otherwise."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

EXE = "ucsd" + (sysconfig.get_config_var("EXE") or "")


class BinaryNotFound(FileNotFoundError):
    pass


def _candidates():
    # The wheel's data/scripts land in the scheme's scripts directory: the venv's bin/, the user
    # scheme's bin/ (pip install --user), or <target>/bin beside a `pip install --target` tree.
    yield Path(sysconfig.get_path("scripts")) / EXE
    user_scheme = {"nt": "nt_user", "posix": "posix_user"}.get(os.name)
    if sys.platform == "darwin" and sys._framework:  # type: ignore[attr-defined]
        user_scheme = "osx_framework_user"
    if user_scheme in sysconfig.get_scheme_names():
        yield Path(sysconfig.get_path("scripts", scheme=user_scheme)) / EXE
    yield Path(__file__).resolve().parents[1] / "bin" / EXE


def find_ucsd(explicit: str | os.PathLike | None = None) -> Path:
    """The `ucsd` executable: `explicit`, else $UCSD_BIN, else the wheel's, else the PATH's."""
    chosen = explicit or os.environ.get("UCSD_BIN")
    if chosen:
        path = Path(chosen)
        if path.is_file() and os.access(path, os.X_OK):
            return path.resolve()
        raise BinaryNotFound(f"ucsd binary not found or not executable: {path}")
    for path in _candidates():
        if path.is_file() and os.access(path, os.X_OK):
            return path
    on_path = shutil.which(EXE)
    if on_path:
        return Path(on_path)
    raise BinaryNotFound(
        "the ucsd binary was not found beside this package nor on PATH; install the ucsd-testing "
        "wheel, or set UCSD_BIN (or --ucsd-bin) to a ucsd executable")
