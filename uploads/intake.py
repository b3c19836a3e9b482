"""Photo intake: receive bytes while hashing, check them, derive, store.

Three steps, so the caller can decide in between whether the photo is new:
`receive` streams the body to a scratch file and checks its hash; `process`
sniffs, reads EXIF and makes the derivatives; `store` puts the three files in
storage. Nothing reaches storage unless every check passed, and the scratch
file is always removed.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from uploads.derivatives import decode
from uploads.errors import HashMismatch, TooLarge, UnsupportedImage
from uploads.exif import ExifFacts, read_exif
from uploads.sniff import HEAD_BYTES, claim_matches, sniff
from uploads.storage import Storage, photo_key

CHUNK = 256 * 1024


@dataclass
class Received:
    """A body saved to a scratch file whose SHA-256 matched its name."""

    sha256: str
    size: int
    path: Path

    def discard(self) -> None:
        """Remove the scratch file if it is still there."""
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Processed:
    """A checked photo: its facts and both derivatives, ready to store."""

    sha256: str
    size: int
    media_type: str
    width: int
    height: int
    exif: ExifFacts
    display: bytes
    thumb: bytes


def receive(
    stream: IO[bytes],
    expected_sha256: str,
    *,
    scratch_dir: str | os.PathLike[str],
    max_bytes: int,
) -> Received:
    """Copy `stream` to a scratch file while hashing; return Received or raise."""
    digest = hashlib.sha256()
    size = 0
    fd, name = tempfile.mkstemp(dir=scratch_dir, prefix="upload-")
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"the photo is larger than {max_bytes:,} bytes")
                digest.update(chunk)
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        actual = digest.hexdigest()
        if actual != expected_sha256:
            raise HashMismatch(
                f"the SHA-256 of the bytes is {actual}, not the name {expected_sha256}"
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(sha256=actual, size=size, path=path)


def process(received: Received, claimed_type: str | None, *, max_pixels: int) -> Processed:
    """Sniff, decode and derive a received photo; return Processed or raise."""
    with open(received.path, "rb") as handle:
        media_type = sniff(handle.read(HEAD_BYTES))
    if media_type is None:
        raise UnsupportedImage("the bytes are not a JPEG, PNG, WebP or HEIC/HEIF image")
    if not claim_matches(claimed_type, media_type):
        raise UnsupportedImage(f"sent as {claimed_type} but the bytes are {media_type}")
    decoded = decode(received.path, media_type, max_pixels=max_pixels)
    return Processed(
        sha256=received.sha256,
        size=received.size,
        media_type=media_type,
        width=decoded.width,
        height=decoded.height,
        exif=read_exif(decoded.exif),
        display=decoded.display,
        thumb=decoded.thumb,
    )


def store(received: Received, processed: Processed, storage: Storage) -> None:
    """Put the derivatives, then the original, into storage."""
    storage.put(photo_key("display", processed.sha256), processed.display)
    storage.put(photo_key("thumb", processed.sha256), processed.thumb)
    storage.put_file(photo_key("original", processed.sha256), received.path)


def remove(sha256: str, storage: Storage) -> None:
    """Delete every file of a photo (used when its record could not be saved)."""
    for kind in ("original", "display", "thumb"):
        storage.delete(photo_key(kind, sha256))
