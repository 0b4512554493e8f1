"""The embedded backend's SQLite file: opening, verifying and configuring connections.

One file, ``<data_dir>/myriad.db``, in WAL mode with ``synchronous=FULL`` so a commit is on
disk before it is acknowledged. Automatic checkpoints are off: the writer thread checkpoints
between commits (see :mod:`.writer`), which keeps the WAL bounded under continuous writes.

A file that is not SQLite, or SQLite that is not ours (wrong ``application_id``), raises
:class:`CorruptStoreError` naming the path; we never start empty over somebody's data.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

from myriad.storage.embedded.records import Row
from myriad.storage.errors import CorruptStoreError

DB_NAME = "myriad.db"
APPLICATION_ID = 0x4D595244  # "MYRD"
SCHEMA_VERSION = 2
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 60_000
#: Rows per multi-row INSERT, largest first; a batch takes at most three of each smaller size,
#: and the statement cache holds one statement per size.
_INSERT_CHUNKS = (256, 64, 16, 4, 1)
_INSERT_SQL = {n: "INSERT INTO log VALUES " + ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?)"] * n) for n in _INSERT_CHUNKS}
_IDS_PER_QUERY = 500

_SCHEMA = """
CREATE TABLE log (
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL,
    deleted INTEGER NOT NULL,
    create_rev INTEGER NOT NULL,
    version INTEGER NOT NULL,
    lease INTEGER NOT NULL,
    prev_id INTEGER NOT NULL,
    value BLOB NOT NULL
);
CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE leases (id INTEGER PRIMARY KEY, ttl INTEGER NOT NULL, expiry REAL NOT NULL);
INSERT INTO meta VALUES ('revision', 1), ('compact_rev', 0);
"""


def db_path(data_dir: Path) -> Path:
    return data_dir / DB_NAME


def _check_header(path: Path) -> None:
    with path.open("rb") as f:
        header = f.read(len(SQLITE_MAGIC))
    if header and header != SQLITE_MAGIC:
        raise CorruptStoreError(str(path), "not a Myriad database (not an SQLite file); refusing to start")


def open_writer(data_dir: Path, *, wal_limit: int, cache_bytes: int) -> sqlite3.Connection:
    """Opens (creating if needed) the database for the single writer and verifies it is ours."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = db_path(data_dir)
    existed = path.exists() and path.stat().st_size > 0
    if existed:
        _check_header(path)
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if not existed:
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise CorruptStoreError(str(path), f"cannot switch to WAL mode (got {mode})")
        _configure(conn, cache_bytes)
        conn.execute("PRAGMA wal_autocheckpoint=0")
        conn.execute(f"PRAGMA journal_size_limit={wal_limit}")
        if existed:
            _verify(conn, path)
        else:
            conn.executescript(f"BEGIN; {_SCHEMA} PRAGMA application_id={APPLICATION_ID};"
                               f" PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
        return conn
    except sqlite3.DatabaseError as e:
        raise CorruptStoreError(str(path), f"unreadable database: {e}") from e


def open_reader(data_dir: Path, *, cache_bytes: int) -> sqlite3.Connection:
    conn = sqlite3.connect(db_path(data_dir), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    _configure(conn, cache_bytes)
    conn.execute("PRAGMA query_only=1")
    return conn


def _configure(conn: sqlite3.Connection, cache_bytes: int) -> None:
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(f"PRAGMA cache_size=-{max(1, cache_bytes // 1024)}")  # in KiB when negative
    conn.execute("PRAGMA temp_store=MEMORY")


def _verify(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id != APPLICATION_ID:
        raise CorruptStoreError(str(path), f"foreign SQLite database (application_id {app_id:#x}); refusing")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != SCHEMA_VERSION:
        raise CorruptStoreError(str(path), f"unsupported schema version {version}")
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    missing = {"log", "meta", "leases"} - tables
    if missing:
        raise CorruptStoreError(str(path), f"missing tables {sorted(missing)}")


def insert_rows(conn: sqlite3.Connection, rows: list[Row]) -> None:
    """Inserts log rows with few statements. A multi-row ``INSERT`` is one ``sqlite3_step``, so
    one release and re-acquisition of the GIL, where ``executemany`` takes one per row; and a
    writer competing with a busy event loop waits up to a switch interval for each."""
    start, total = 0, len(rows)
    for size in _INSERT_CHUNKS:
        sql = _INSERT_SQL[size]
        while total - start >= size:
            conn.execute(sql, [value for row in rows[start : start + size] for value in row])
            start += size


def select_by_ids(conn: sqlite3.Connection, columns: str, ids: list[int]) -> Iterator[tuple]:
    """``SELECT columns FROM log`` for the given row ids, in chunks under SQLite's variable limit;
    ids with no row are skipped."""
    for i in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[i : i + _IDS_PER_QUERY]
        marks = ",".join("?" * len(chunk))
        yield from conn.execute(f"SELECT {columns} FROM log WHERE id IN ({marks})", chunk)


def read_meta(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT name, value FROM meta").fetchall())
