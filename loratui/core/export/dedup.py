"""Exact and near-duplicate filters whose state is hashes only, never the texts.

Exact: a 16-byte BLAKE2 digest of the normalised text (case, spacing and Unicode form
ignored). Near: MinHash signatures of word 3-gram shingles (``minhash``), banded as
datasketch's LSH index does (``lsh``), which finds records whose estimated Jaccard
similarity is at or above the threshold. Both are deterministic (fixed
seeds), so a re-export drops the same records.

The keys (digest, signature, band hashes) depend on one record alone, so export worker
processes compute them; the index, which depends on every record before, stays with the
one process that writes the version, and takes records in order.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loratui.core.export import minhash
from loratui.core.export.lsh import BandIndex, band_layout

MINHASH_SEED = 1
_RARE_SPACES = "\x1c\x1d\x1e\x1f"  # str.split() splits on these, bytes.split() does not


def normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_hash(text: str) -> bytes:
    """The exact-duplicate key: BLAKE2b-128 of ``normalise(text)``."""
    if text.isascii() and not any(c in text for c in _RARE_SPACES):
        # the same bytes as normalise() gives ASCII text, without a string per word
        data = b" ".join(text.lower().encode("ascii").split())
    else:
        data = normalise(text).encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).digest()


class ExactDedup:
    def __init__(self) -> None:
        self._seen: set[bytes] = set()

    def is_duplicate(self, text: str) -> bool:
        """True when an equal text was seen before; otherwise remember this one."""
        return self.seen(text_hash(text))

    def seen(self, key: bytes) -> bool:
        """True when ``key`` (a ``text_hash``) was seen before; otherwise remember it."""
        if key in self._seen:
            return True
        self._seen.add(key)
        return False


@dataclass(frozen=True)
class NearKeys:
    """How records are signed and banded: what a worker process needs to compute keys."""

    num_perm: int
    bands: int
    rows: int

    @staticmethod
    def layout(threshold: float, num_perm: int) -> NearKeys:
        """datasketch's ``MinHashLSH`` band layout for this threshold and permutations."""
        # LSH only proposes candidates (confirmed with the signatures), so cap its own
        # threshold: above ~0.9 the layout has fewer than two bands
        bands, rows = band_layout(min(threshold, 0.9), num_perm)
        return NearKeys(num_perm, bands, rows)

    def multipliers(self) -> np.ndarray:
        """Per band, odd 64-bit multipliers: a band's hash is the wrapped dot product."""
        rng = np.random.default_rng(MINHASH_SEED)
        return rng.integers(0, 2**63, (self.bands, self.rows), dtype=np.uint64) * 2 + 1

    def sign(self, texts: list[str]) -> list[tuple[bytes, list[int]] | None]:
        """Per text: its signature (bytes) and band hashes, or ``None`` without words."""
        sig, has = minhash.signatures(texts, self.num_perm)
        width = self.bands * self.rows
        bands = sig[:, :width].reshape(len(texts), self.bands, self.rows)
        keys = (bands * self.multipliers()).sum(axis=2, dtype=np.uint64).view(np.int64)
        return [(sig[i].tobytes(), keys[i].tolist()) if has[i] else None for i in range(len(texts))]


class NearDedup:
    """MinHash LSH over records seen so far; a record close to an earlier one is a duplicate.

    LSH proposes candidates (records sharing one band hash); each is confirmed with the
    signatures: a band must be equal and the estimated Jaccard similarity at or above
    ``threshold``. The band index (``lsh.BandIndex``) is in memory, 12 bytes a band of a
    kept record; the signatures (``num_perm`` * 8 bytes a record) go to a flat file in
    ``folder`` (or a private temporary folder), read back only for candidates.

    The writer asks about a batch of records together: ``prefetch`` looks up all their
    band hashes at once, ``seen`` then decides record by record, in order, from those and
    from the records indexed since the last ``flush``, which adds them to the index.
    ``seen`` alone (without ``prefetch``) looks up for itself.
    """

    SIG_NAME = "near-dedup.sig"

    def __init__(
        self,
        threshold: float,
        num_perm: int = 128,
        folder: Path | None = None,
        keys: NearKeys | None = None,
    ) -> None:
        self.keys = keys or NearKeys.layout(threshold, num_perm)
        self.num_perm = num_perm
        self.threshold = threshold
        self._bands, self._rows = self.keys.bands, self.keys.rows
        self.folder = folder
        self._index = BandIndex()
        self._sig_fd = -1
        self._sig_path: Path | None = None
        self._sig_size = num_perm * 8  # bytes a signature (uint64 values)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._count = 0  # records indexed
        self._flushed = 0  # records written to the index and the signature file
        self._looked_up: set[int] = set()
        self._found: dict[int, list[int]] = {}  # band hash -> indexed records
        # band hash -> the first record since the flush with it, and the later ones (rare):
        # most records share no band, and a dict of ints is filled and emptied in C
        self._new_first: dict[int, int] = {}
        self._new_more: dict[int, list[int]] = {}
        self._new_sigs: list[bytes] = []

    def is_duplicate(self, text: str) -> bool:
        """True when a seen record is near this one; otherwise index this one."""
        signed = self.keys.sign([text])[0]
        if signed is None:
            return False
        duplicate = self.seen(*signed)
        self.flush()
        return duplicate

    def prefetch(self, band_keys: list[list[int]]) -> None:
        """Look up all these band hashes (of the next records) at once."""
        wanted = list(set().union(*band_keys) - self._looked_up)
        self._looked_up.update(wanted)
        self._found.update(self._index.lookup(wanted))

    def seen(self, signature: bytes, band_keys: list[int]) -> bool:
        """True when a seen record is near this signature; otherwise index it."""
        if not self._looked_up.issuperset(band_keys):
            self.prefetch([band_keys])
        first, more = self._new_first, self._new_more
        if self._found.keys().isdisjoint(band_keys) and first.keys().isdisjoint(band_keys):
            # no record shares a band with this one (the common case): index it, all in C
            key = self._count
            self._count += 1
            self._new_sigs.append(signature)
            first.update(dict.fromkeys(band_keys, key))
            return False
        candidates: set[int] = set()
        for k in band_keys:
            candidates.update(self._found.get(k, ()))
            if k in first:
                candidates.add(first[k])
                candidates.update(more.get(k, ()))
        if candidates:
            hv = np.frombuffer(signature, dtype=np.uint64)
            bands = hv[: self._bands * self._rows].reshape(self._bands, self._rows)
            for key in sorted(candidates):
                other = np.frombuffer(self._signature(key), dtype=np.uint64)
                shaped = other[: bands.size].reshape(bands.shape)
                same_band = bool((shaped == bands).all(axis=1).any())
                if same_band and minhash.similarity(other, hv) >= self.threshold:
                    return True
        key = self._count
        self._count += 1
        self._new_sigs.append(signature)
        for k in band_keys:
            if k in first:
                more.setdefault(k, []).append(key)
            else:
                first[k] = key
        return False

    def _signature(self, key: int) -> bytes:
        if key >= self._flushed:
            return self._new_sigs[key - self._flushed]
        return os.pread(self._sig_fd, self._sig_size, key * self._sig_size)

    def flush(self) -> None:
        """Index the records seen since the last flush; forget the looked-up hashes."""
        if self._new_sigs:
            if self._sig_fd < 0:
                self._open()
            os.write(self._sig_fd, b"".join(self._new_sigs))
            first, more = self._new_first, self._new_more
            keys = [*first.keys(), *(k for k, recs in more.items() for _ in recs)]
            records = [*first.values(), *(r for recs in more.values() for r in recs)]
            self._index.add(keys, records)
            self._flushed = self._count
        self._new_sigs = []
        self._new_first = {}
        self._new_more = {}
        self._looked_up = set()
        self._found = {}

    def _open(self) -> None:
        if self.folder is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="loratui-dedup-")
            folder = Path(self._tmp.name)
        else:
            folder = Path(self.folder)
        self._sig_path = folder / self.SIG_NAME
        self._sig_fd = os.open(self._sig_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    def close(self) -> None:
        """Drop the index and the signature file (the dedup state ends with the export)."""
        self._index = BandIndex()
        if self._sig_fd >= 0:
            os.close(self._sig_fd)
            self._sig_fd = -1
            if self._sig_path is not None:
                self._sig_path.unlink(missing_ok=True)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
