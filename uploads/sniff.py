"""Tell an image's type from its first bytes, whatever name or header it came with."""

HEIF_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"hevm",
    b"hevs",
    b"mif1",
    b"msf1",
}
# AVIF shares the HEIF container (and often lists mif1) but is not accepted.
AVIF_BRANDS = {b"avif", b"avis"}

MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "image/heic")
# What a client may claim for each sniffed type; other claims are refused.
CLAIM_ALIASES = {
    "image/jpeg": {"image/jpeg", "image/jpg", "image/pjpeg"},
    "image/png": {"image/png", "image/x-png"},
    "image/webp": {"image/webp"},
    "image/heic": {"image/heic", "image/heif", "image/heic-sequence", "image/heif-sequence"},
}
NO_CLAIM = {None, "", "application/octet-stream"}
PILLOW_FORMATS = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/webp": "WEBP",
    "image/heic": "HEIF",
}
HEAD_BYTES = 64


def sniff(head: bytes) -> str | None:
    """Return the media type the first bytes of a file show, or None."""
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp":
        box_size = int.from_bytes(head[:4], "big")
        major = head[8:12]
        compatible = {head[i : i + 4] for i in range(16, min(box_size, len(head)) - 3, 4)}
        if major in AVIF_BRANDS:
            return None
        if major in HEIF_BRANDS or compatible & HEIF_BRANDS:
            return "image/heic"
    return None


def claim_matches(claimed: str | None, sniffed: str) -> bool:
    """Say whether a claimed Content-Type agrees with the sniffed type."""
    if claimed is not None:
        claimed = claimed.split(";")[0].strip().lower()
    return claimed in NO_CLAIM or claimed in CLAIM_ALIASES[sniffed]
