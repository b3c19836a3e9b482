"""The photo intake pipeline (SPEC §4): plain Python, no Flask. Built in the photo issue."""
