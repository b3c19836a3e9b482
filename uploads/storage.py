"""Where photo files live: a small interface, and the local-directory backend."""

import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol


class Storage(Protocol):
    """What the pipeline needs from a place that keeps files by key."""

    def put(self, key: str, data: bytes) -> None: ...
    def put_file(self, key: str, path: str | os.PathLike[str]) -> None: ...
    def open(self, key: str) -> BinaryIO: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...


def photo_key(kind: str, sha256: str) -> str:
    """Return the storage key of a photo's original, display or thumb file."""
    suffix = "" if kind == "original" else ".jpg"
    return f"{kind}/{sha256[:2]}/{sha256[2:4]}/{sha256}{suffix}"


class LocalStorage:
    """Files under one directory, written atomically (temp file, fsync, rename)."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"storage key {key!r} leaves the storage root")
        return path

    def scratch_dir(self) -> Path:
        """Return a directory on the same filesystem for files still being received."""
        scratch = self.root / "tmp"
        scratch.mkdir(parents=True, exist_ok=True)
        return scratch

    def _sync_dir(self, directory: Path) -> None:
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def put(self, key: str, data: bytes) -> None:
        """Store bytes under `key`, replacing any earlier file atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._sync_dir(path.parent)

    def put_file(self, key: str, source: str | os.PathLike[str]) -> None:
        """Move a finished file (already fsynced, same filesystem) under `key`."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, path)
        self._sync_dir(path.parent)

    def open(self, key: str) -> BinaryIO:
        """Open the file under `key` for reading."""
        return open(self._path(key), "rb")

    def exists(self, key: str) -> bool:
        """Say whether a file is stored under `key`."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file under `key`, if any."""
        self._path(key).unlink(missing_ok=True)
