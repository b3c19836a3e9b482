"""The offline merge engine (SPEC §9): plain Python, no Flask. Built in the sync issue."""
