"""Domain services: plain Python over a SQLAlchemy session, no Flask.

Services flush but never commit: the caller (an HTTP view, a CLI command, the
sync engine) owns the transaction.
"""
