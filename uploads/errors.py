"""Why a photo was refused; the HTTP layer maps each to a status."""


class IntakeError(Exception):
    """Base of every refusal; nothing has been stored when one is raised."""

    code = "photo_refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TooLarge(IntakeError):
    """The body is larger than the configured limit (413)."""

    code = "photo_too_large"


class HashMismatch(IntakeError):
    """The bytes do not hash to the name they were sent under (422)."""

    code = "sha256_mismatch"


class UnsupportedImage(IntakeError):
    """The bytes are not JPEG, PNG, WebP or HEIC/HEIF, or not what was claimed (415)."""

    code = "unsupported_media_type"


class CorruptImage(IntakeError):
    """The image cannot be decoded: truncated or damaged (422)."""

    code = "corrupt_image"


class DecompressionBomb(IntakeError):
    """The image claims more pixels than the configured limit (422)."""

    code = "decompression_bomb"
