"""Exact and near-duplicate filters whose state is hashes only, never the texts.

Exact: a 16-byte BLAKE2 digest of the normalised text (case, spacing and Unicode form
ignored). Near: MinHash signatures of word 3-gram shingles, banded as datasketch's LSH
index does but kept in temporary files, which finds records whose estimated Jaccard
similarity is at or above the threshold. Both are
deterministic (fixed seeds), so a re-export drops the same records.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import tempfile
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from datasketch import MinHash

_WORDS = re.compile(r"\w+", re.UNICODE)
SHINGLE = 3
MINHASH_SEED = 1


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_hash(text: str) -> bytes:
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=16).digest()


class ExactDedup:
    def __init__(self) -> None:
        self._seen: set[bytes] = set()

    def is_duplicate(self, text: str) -> bool:
        """True when an equal text was seen before; otherwise remember this one."""
        h = text_hash(text)
        if h in self._seen:
            return True
        self._seen.add(h)
        return False


def shingles(text: str, size: int = SHINGLE) -> set[bytes]:
    words = _WORDS.findall(normalise(text))
    if len(words) < size:
        return {" ".join(words).encode("utf-8")} if words else set()
    if size == 3:  # the usual case, without slicing
        return {
            f"{a} {b} {c}".encode() for a, b, c in zip(words, words[1:], words[2:], strict=False)
        }
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


class NearDedup:
    """MinHash LSH over records seen so far; a record close to an earlier one is a duplicate.

    LSH proposes candidates (records sharing one band of the signature); each is confirmed
    with the signatures' Jaccard estimate, so only records at or above ``threshold`` count.
    The band layout is datasketch's ``MinHashLSH`` for the same threshold and permutations,
    so the same records are dropped as with its in-memory index; but nothing is kept in
    memory, so memory stays flat however many records pass. In ``folder`` (or a private
    temporary folder): a SQLite table of 64-bit band hashes (an index of integers stays
    small and fast) and a flat file of signatures. A hash only proposes a candidate: it
    counts once a band of its signature is equal, as in datasketch.
    """

    DB_NAME = "near-dedup.sqlite"
    SIG_NAME = "near-dedup.sig"

    def __init__(self, threshold: float, num_perm: int = 128, folder: Path | None = None) -> None:
        from datasketch import MinHash, MinHashLSH  # imported here: it loads scipy (~0.6 s)

        self._minhash = MinHash
        self.num_perm = num_perm
        self.threshold = threshold
        # LSH only proposes candidates (confirmed below), so cap its own threshold: above
        # ~0.9 datasketch cannot build two bands. The empty index gives the band layout.
        lsh = MinHashLSH(threshold=min(threshold, 0.9), num_perm=num_perm)
        self._bands, self._rows = lsh.b, lsh.r
        # per band, odd 64-bit multipliers: a band's hash is the wrapped dot product
        rng = np.random.default_rng(MINHASH_SEED)
        self._mult = rng.integers(0, 2**63, (lsh.b, lsh.r), dtype=np.uint64) * 2 + 1
        first = MinHash(num_perm=num_perm, seed=MINHASH_SEED)
        self._perms = first.permutations
        self._scheme = first.scheme
        self.folder = folder
        self._db: sqlite3.Connection | None = None
        self._sig_fd = -1
        self._sig_size = num_perm * first.hashvalues.dtype.itemsize  # bytes a signature
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._keys = 0
        self._query = ""
        self._paths: list[Path] = []

    def signature(self, text: str) -> MinHash | None:
        sh = shingles(text)
        if not sh:
            return None
        m = self._minhash(
            num_perm=self.num_perm,
            seed=MINHASH_SEED,
            permutations=self._perms,
            scheme=self._scheme,
        )
        m.update_batch(sh)  # the minimum does not depend on the order
        return m

    def is_duplicate(self, text: str) -> bool:
        """True when a seen record is near this one; otherwise index this one."""
        m = self.signature(text)
        if m is None:
            return False
        db = self._db or self._open()
        hv = m.hashvalues
        bands = hv[: self._bands * self._rows].reshape(self._bands, self._rows)
        keys = (bands.astype(np.uint64) * self._mult).sum(axis=1).view(np.int64).tolist()
        for (key,) in db.execute(self._query, keys):
            raw = os.pread(self._sig_fd, self._sig_size, key * self._sig_size)
            other = np.frombuffer(raw, dtype=hv.dtype)
            same_band = bool((other[: bands.size].reshape(bands.shape) == bands).all(axis=1).any())
            if same_band and float((other == hv).sum()) / self.num_perm >= self.threshold:
                return True
        key = self._keys
        self._keys += 1
        os.write(self._sig_fd, hv.tobytes())
        db.executemany(
            "INSERT OR IGNORE INTO band (bkey, key) VALUES (?, ?)", [(k, key) for k in keys]
        )
        return False

    def _open(self) -> sqlite3.Connection:
        if self.folder is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="loratui-dedup-")
            folder = Path(self._tmp.name)
        else:
            folder = Path(self.folder)
        path, sig_path = folder / self.DB_NAME, folder / self.SIG_NAME
        path.unlink(missing_ok=True)
        self._paths = [path, sig_path]
        self._sig_fd = os.open(sig_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        # scratch data: no journal, no fsync, a small page cache (memory stays flat)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA cache_size=-8192")
        db.execute("PRAGMA temp_store=FILE")
        db.execute(
            "CREATE TABLE band (bkey INTEGER, key INTEGER, PRIMARY KEY (bkey, key)) WITHOUT ROWID"
        )
        db.execute("BEGIN")
        marks = ",".join("?" * self._bands)
        self._query = f"SELECT DISTINCT key FROM band WHERE bkey IN ({marks}) ORDER BY key"
        self._db = db
        return db

    def close(self) -> None:
        """Drop the index and its files (the dedup state ends with the export)."""
        if self._db is not None:
            self._db.close()
            self._db = None
            os.close(self._sig_fd)
            self._sig_fd = -1
            for path in self._paths:
                path.unlink(missing_ok=True)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
