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
import errno
import os
import secrets
from collections.abc import Mapping
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
    return write_atomic_set({path: data})[0]


def write_atomic_set(files: Mapping[str | os.PathLike, str | bytes]) -> list[Path]:
    """Replace several files as one set (a JSON, its TMX and its TSV); returns their paths.

    Every file is written and synced beside its destination, and every destination
    checked, before the first rename: a failure on any of them (a folder in the way,
    no permission, a full disk) leaves all the previous files as they were, never a
    new JSON beside a stale TMX. Only the renames themselves, which do not fail on a
    checked destination in a folder just written to, come after that point.
    """
    staged: list[tuple[Path, Path]] = []
    current = None
    try:
        for current, data in files.items():
            current = Path(current)
            tmp = current.with_name(f".{current.name}.{secrets.token_hex(4)}.tmp")
            current.parent.mkdir(parents=True, exist_ok=True)
            staged.append((tmp, current))
            _write_synced(tmp, data.encode("utf-8") if isinstance(data, str) else data)
        for _, current in staged:
            if current.is_dir():
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR))
        for tmp, current in staged:
            os.replace(tmp, current)
    except BaseException as exc:  # Ctrl-C too: never leave a temporary file behind
        for tmp, _ in staged:
            with contextlib.suppress(OSError):  # e.g. the parent is a file: nothing was created
                tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise InputError(str(current), f"cannot write: {exc.strerror or exc}") from exc
        raise
    for folder in {path.parent for _, path in staged}:
        _sync_folder(folder)
    return [path for _, path in staged]


def check_folder(folder: str | os.PathLike, where: str) -> Path:
    """Make sure files can be written into ``folder``, creating nothing: a file is
    created and removed in the folder, or in its nearest existing parent when it does not
    exist yet (the writers make the missing folders). An output folder that cannot be
    written is then named before minutes of work go into what would be written there."""
    folder = Path(folder)
    existing = next(p for p in (folder, *folder.absolute().parents) if p.exists())
    if not existing.is_dir():
        raise InputError(where, f"{existing} is a file, not a folder")
    probe = existing / f".{secrets.token_hex(4)}.probe"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, NEW_FILE_MODE))
        probe.unlink()
    except OSError as exc:
        raise InputError(where, f"cannot write into {folder}: {exc.strerror or exc}") from exc
    return folder


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
