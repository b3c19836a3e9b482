"""A reference sync client, as a phone app would keep it (SPEC §9).

Everything the user does offline goes into a SQLite outbox with the device's own
increasing `seq`; photos wait in an upload queue. `sync()` uploads photos, pushes
unanswered mutations in order, follows the pull pages, and keeps the cursor, a
local copy of the hazards in scope and the user's inspection tasks. Failures of
the network or the server are retried with backoff; nothing leaves the outbox
until the server has answered it.

The transport is anything with `post(path, json)` and `put(path, data,
content_type)` returning `(status, body)`, so tests drive it over a test client.
"""

import hashlib
import json
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVarTuple

Ts = TypeVarTuple("Ts")

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, answer TEXT);
CREATE TABLE IF NOT EXISTS photos (sha256 TEXT PRIMARY KEY, data BLOB NOT NULL,
    content_type TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'waiting');
CREATE TABLE IF NOT EXISTS hazards (id TEXT PRIMARY KEY, version INTEGER, data TEXT);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
"""


class SyncFailed(Exception):
    """The server could not be reached (or kept failing) after every retry."""


class Transport(Protocol):
    """How the client talks to the server; each call returns (status, JSON body)."""

    def post(self, path: str, json: dict[str, Any], /) -> tuple[int, Any]: ...
    def put(self, path: str, data: bytes, content_type: str, /) -> tuple[int, Any]: ...


class SyncClient:
    """The device side of sync: outbox, photo queue, cursor and local hazards."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        device_id: str,
        transport: Transport,
        *,
        batch: int = 100,
        attempts: int = 5,
        backoff: float = 0.5,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        self.db = sqlite3.connect(path)
        self.db.executescript(SCHEMA)
        self.device_id = device_id
        self.transport = transport
        self.batch, self.attempts, self.backoff, self.sleep = batch, attempts, backoff, sleep

    def close(self) -> None:
        """Close the local database."""
        self.db.close()

    # What the user does, offline.

    def record(
        self,
        type_: str,
        entity_id: uuid.UUID | str,
        data: dict[str, Any] | None = None,
        photos: Iterable[str] = (),
        base_version: int | None = None,
    ) -> int:
        """Queue a mutation; return its seq."""
        with self.db:
            seq = (self.db.execute("SELECT max(seq) FROM outbox").fetchone()[0] or 0) + 1
            body = {
                "seq": seq,
                "id": str(uuid.uuid4()),
                "type": type_,
                "entity_id": str(entity_id),
                "base_version": base_version,
                "data": data or {},
                "photos": list(photos),
                "occurred_at": datetime.now(UTC).isoformat(),
            }
            self.db.execute("INSERT INTO outbox (seq, body) VALUES (?, ?)", (seq, json.dumps(body)))
        return seq

    def report(
        self,
        category: str,
        description: str,
        lat: float,
        lon: float,
        photos: Iterable[str] = (),
        **extra: Any,
    ) -> str:
        """Queue a new hazard report; return its id."""
        hazard_id = str(uuid.uuid4())
        data = {
            "category": category,
            "description": description,
            "lat": lat,
            "lon": lon,
            "observed_at": datetime.now(UTC).isoformat(),
            **extra,
        }
        self.record("hazard.create", hazard_id, data, photos)
        return hazard_id

    def inspect(
        self,
        place: uuid.UUID | str,
        template: str,
        version: int,
        answers: Mapping[str, tuple[str, str | None, Iterable[str]]],
        started_at: datetime,
        **extra: Any,
    ) -> str:
        """Queue an inspection; `answers` maps item code to (answer, note, photos).

        Returns the inspection's id. Each answer gets its own id here, on the phone.
        """
        inspection_id = str(uuid.uuid4())
        data = {
            "place": str(place),
            "template": template,
            "version": version,
            "started_at": started_at.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "answers": [
                {"id": str(uuid.uuid4()), "item": item, "answer": answer, "note": note,
                 "photos": list(photos)}
                for item, (answer, note, photos) in answers.items()
            ],
            **extra,
        }  # fmt: skip
        self.record("inspection.create", inspection_id, data)
        return inspection_id

    def add_photo(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Keep a photo for upload; return its SHA-256 to cite it."""
        sha = hashlib.sha256(data).hexdigest()
        with self.db:
            self.db.execute(
                "INSERT OR IGNORE INTO photos (sha256, data, content_type) VALUES (?, ?, ?)",
                (sha, data, content_type),
            )
        return sha

    # What the device knows.

    def answers(self) -> dict[int, dict[str, Any]]:
        """Return {seq: the server's answer} for every answered mutation."""
        rows = self.db.execute("SELECT seq, answer FROM outbox WHERE answer IS NOT NULL")
        return {seq: json.loads(answer) for seq, answer in rows}

    def pending(self) -> list[dict[str, Any]]:
        """Return the mutations the server has not answered yet, in order."""
        rows = self.db.execute("SELECT body FROM outbox WHERE answer IS NULL ORDER BY seq")
        return [json.loads(body) for (body,) in rows]

    def hazards(self) -> dict[str, dict[str, Any]]:
        """Return the local copy of the hazards in scope, by id."""
        return {
            hid: json.loads(data) for hid, data in self.db.execute("SELECT id, data FROM hazards")
        }

    def tasks(self) -> list[dict[str, Any]]:
        """Return the inspection tasks as last pulled."""
        return json.loads(self._get("tasks") or "[]")

    def _get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    # Talking to the server.

    def _call(self, send: Callable[[*Ts], tuple[int, Any]], *args: *Ts) -> tuple[int, Any]:
        """Call the server, retrying network failures and 5xx answers with backoff."""
        for attempt in range(self.attempts):
            status: int | None
            try:
                status, body = send(*args)
            except OSError:
                status, body = None, None
            if status is not None and status < 500:
                return status, body
            self.sleep(self.backoff * 2**attempt)
        raise SyncFailed(f"no answer after {self.attempts} attempts")

    def upload_photos(self) -> None:
        """Upload waiting photos; a refused one is marked so, and never blocks the rest."""
        waiting = self.db.execute(
            "SELECT sha256, data, content_type FROM photos WHERE state = 'waiting'"
        ).fetchall()
        for sha, data, content_type in waiting:
            status, _ = self._call(
                self.transport.put, f"/api/v1/photos/{sha}", bytes(data), content_type
            )
            with self.db:
                self.db.execute(
                    "UPDATE photos SET state = ? WHERE sha256 = ?",
                    ("uploaded" if status in (200, 201) else "refused", sha),
                )

    def sync(self) -> dict[str, Any]:
        """Upload photos, push every unanswered mutation, and pull until up to date."""
        self.upload_photos()
        while True:
            batch = self.pending()[: self.batch]
            body = {
                "device_id": self.device_id,
                "mutations": batch,
                "pull": {"cursor": self._get("cursor"), "limit": 500},
            }
            status, answer = self._call(self.transport.post, "/api/v1/sync", body)
            if status != 200:
                raise SyncFailed(f"the server refused the batch: {status} {answer}")
            deferred = self._store(answer)
            if not answer["pull"]["has_more"] and (deferred or not self.pending()):
                return answer

    def _store(self, answer: dict[str, Any]) -> bool:
        deferred = False
        with self.db:
            for result in answer["results"]:
                if result["status"] == "deferred":
                    deferred = True  # an earlier seq is still on its way; send again later
                    continue
                self.db.execute(
                    "UPDATE outbox SET answer = ? WHERE seq = ?",
                    (json.dumps(result), result["seq"]),
                )
            pull = answer["pull"]
            if pull["reset"]:
                self.db.execute("DELETE FROM hazards")
            for change in pull["changes"]:
                if change["op"] == "upsert":
                    self.db.execute(
                        "INSERT OR REPLACE INTO hazards (id, version, data) VALUES (?, ?, ?)",
                        (change["id"], change["version"], json.dumps(change["data"])),
                    )
                else:
                    self.db.execute("DELETE FROM hazards WHERE id = ?", (change["id"],))
            self._set("cursor", pull["cursor"])
            self._set("tasks", json.dumps(answer.get("tasks", [])))
        return deferred
