"""Exact and near-duplicate filters whose state is hashes only, never the texts.

Exact: a 16-byte BLAKE2 digest of the normalised text (case, spacing and Unicode form
ignored). Near: MinHash signatures of word 3-gram shingles in a datasketch LSH index, which
finds records whose estimated Jaccard similarity is at or above the threshold. Both are
deterministic (fixed seeds), so a re-export drops the same records.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import TYPE_CHECKING, Any

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
    return {" ".join(words[i : i + size]).encode("utf-8") for i in range(len(words) - size + 1)}


class NearDedup:
    """MinHash LSH over records seen so far; a record close to an earlier one is a duplicate.

    LSH proposes candidates; each is confirmed with the signatures' Jaccard estimate, so
    only records at or above ``threshold`` count. Signatures are 32-bit arrays.
    """

    def __init__(self, threshold: float, num_perm: int = 128) -> None:
        from datasketch import MinHash, MinHashLSH  # imported here: it loads scipy (~0.6 s)

        self._minhash = MinHash
        self.num_perm = num_perm
        self.threshold = threshold
        # LSH only proposes candidates (confirmed below), so cap its own threshold: above
        # ~0.9 datasketch cannot build two bands
        self._lsh = MinHashLSH(threshold=min(threshold, 0.9), num_perm=num_perm)
        first = MinHash(num_perm=num_perm, seed=MINHASH_SEED)
        self._perms = first.permutations
        self._scheme = first.scheme
        self._sigs: list[Any] = []

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
        m.update_batch(sorted(sh))
        return m

    def is_duplicate(self, text: str) -> bool:
        """True when a seen record is near this one; otherwise index this one."""
        m = self.signature(text)
        if m is None:
            return False
        for key in self._lsh.query(m):
            other = self._sigs[key]
            if float((other == m.hashvalues).sum()) / self.num_perm >= self.threshold:
                return True
        key = len(self._sigs)
        self._sigs.append(m.hashvalues.copy())
        self._lsh.insert(key, m, check_duplication=False)
        return False
