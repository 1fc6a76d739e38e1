"""Write output files so that a reader never sees half of one.

An alignment run can be interrupted (Ctrl-C, a killed container, a full disk)
while a TMX file a CAT tool is about to import is being written. Writing to a
temporary file in the same folder, syncing it to disk and then renaming it over
the destination makes the switch atomic: the destination holds either the old
complete file or the new complete file. The temporary file must be in the same
folder because a rename is only atomic within one file system.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from align.errors import InputError

# Permissions for a new file before the umask applies, as open() would give it.
# (tempfile.mkstemp would create it 0600, and the rename would keep that.)
NEW_FILE_MODE = 0o666


def write_atomic(path: str | os.PathLike, data: str | bytes) -> Path:
    """Replace ``path`` with ``data`` (``str`` is written as UTF-8); returns the path.

    Missing parent folders are created. A failure (no permission, the path is a
    folder, disk full) leaves any previous file untouched, removes the temporary
    file and is reported as an :class:`InputError` about the output path.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_synced(tmp, payload)
        os.replace(tmp, path)
    except BaseException as exc:  # Ctrl-C too: never leave the temporary file behind
        with contextlib.suppress(OSError):  # e.g. the parent is a file: nothing was created
            tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(str(path), f"cannot write: {exc.strerror or exc}") from exc
        raise
    _sync_folder(path.parent)
    return path


def _write_synced(tmp: Path, payload: bytes) -> None:
    """Write and fsync, so the rename never exposes data still in the page cache."""
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE)
    with os.fdopen(fd, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())


def _sync_folder(folder: Path) -> None:
    """Persist the rename itself; POSIX only (Windows cannot open a folder)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
