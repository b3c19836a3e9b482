"""The photo intake pipeline (SPEC §4): sniff, EXIF, derivatives, storage. No Flask."""
