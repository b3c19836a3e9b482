"""One way to tell a resend from new content: the SHA-256 of canonical JSON.

Phones resend what they already sent (the answer was lost); the same id with the
same fingerprint is that resend, with another fingerprint a different thing.
Stored fingerprints must never change, so this is the only place that makes one.
"""

import hashlib
import json


def canonical_hash(content: object) -> str:
    """Return the SHA-256 of `content` as canonical JSON (sorted keys, text as it is)."""
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    # surrogatepass: a lone surrogate a phone sent still hashes (and is refused later).
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
