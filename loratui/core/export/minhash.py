"""MinHash signatures of word 3-gram shingles, for many texts at once, with numpy.

Why not datasketch's ``MinHash``: it hashes every shingle with SHA-1 in Python and applies
each of its 128 permutations to every shingle, about 0.5 ms a record and most of an
export's time. Here a batch of records (a document's) is hashed in one go:

- words are found on the UTF-8 bytes of the normalised text (NFKC, case folded): a word
  is a run of ASCII letters, digits and underscores or of non-ASCII characters; no
  Python string is made per word;
- a word's hash is tabulation hashing (a random 64-bit value per byte and position,
  summed) and a shingle's is three word hashes mixed together;
- one-permutation hashing (Li, Owen and Zhang, 2012) spreads the shingles over ``num_perm``
  bins and keeps each bin's minimum, one pass instead of ``num_perm``; empty bins borrow
  from the next full one (rotation densification, Shrivastava and Li, 2014).

As with classic MinHash, the fraction of equal bins of two signatures estimates the
Jaccard similarity of their shingle sets. Everything is seeded from fixed constants, so
the same texts always give the same signatures.
"""

from __future__ import annotations

import hashlib
import unicodedata

import numpy as np

SHINGLE = 3
EMPTY = np.uint64(1 << 32)  # above every bin value (bin values are 32-bit)
_ROTATE = np.uint64(0x9E3779B97F4A7C15)  # added per step when a bin borrows from a neighbour
_K = (np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9))
_POSITIONS = 64  # tabulation rows: byte positions in a word (longer words wrap around)


def _table() -> np.ndarray:
    """The tabulation table: one 64-bit value per (position, byte), from BLAKE2b."""
    raw = b"".join(
        hashlib.blake2b(f"loratui-minhash-{i}".encode(), digest_size=64).digest()
        for i in range(_POSITIONS * 256 * 8 // 64)
    )
    return np.frombuffer(raw, dtype=np.uint64).reshape(_POSITIONS, 256).copy()


_TABLE = _table()
# word bytes: ASCII letters, digits, underscore, and every byte of a non-ASCII character
_WORD_BYTE = np.zeros(256, dtype=bool)
for _c in b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz":
    _WORD_BYTE[_c] = True
_WORD_BYTE[128:] = True


def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, in place on a uint64 array."""
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x


def normalise(text: str) -> str:
    """Case and Unicode form ignored (ASCII text skips the Unicode work)."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


def _words(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of every word of every text, and the text each word belongs to."""
    # a NUL (not a word byte) between texts: no word runs across two of them
    encoded = [normalise(t).encode("utf-8") for t in texts]
    data = b"\0".join(encoded)
    starts = np.zeros(len(texts), dtype=np.int64)
    if len(texts) > 1:
        lengths = np.fromiter(map(len, encoded), np.int64, len(texts))
        starts[1:] = np.cumsum(lengths[:-1] + 1)
    arr = np.frombuffer(data, dtype=np.uint8)
    is_word = _WORD_BYTE[arr]
    if not is_word.any():
        return np.zeros(0, np.uint64), np.zeros(0, np.int64)
    first = is_word.copy()
    first[1:] &= ~is_word[:-1]
    word_start = np.flatnonzero(first)
    byte_pos = np.flatnonzero(is_word)
    word_of_byte = np.cumsum(first[byte_pos]) - 1
    offset = (byte_pos - word_start[word_of_byte]) & (_POSITIONS - 1)
    values = _TABLE.ravel()[(offset << 8) | arr[byte_pos]]
    heads = np.flatnonzero(first[byte_pos])
    hashes = np.add.reduceat(values, heads)
    owner = np.searchsorted(starts, word_start, side="right") - 1
    return _mix(hashes), owner


def _shingles(hashes: np.ndarray, owner: np.ndarray, n_texts: int) -> tuple[np.ndarray, np.ndarray]:
    """Hashes of the word 3-grams of each text (a text of 1-2 words is one shingle)."""
    if len(hashes) >= SHINGLE:
        same = owner[: -SHINGLE + 1] == owner[SHINGLE - 1 :]
        sh = hashes[:-2] * _K[0] + hashes[1:-1] * _K[1] + hashes[2:]
        sh, sh_owner = sh[same], owner[:-2][same]
    else:
        sh, sh_owner = np.zeros(0, np.uint64), np.zeros(0, np.int64)
    counts = np.bincount(owner, minlength=n_texts)
    short = np.flatnonzero((counts > 0) & (counts < SHINGLE))
    if len(short):
        extra = np.zeros(len(short), dtype=np.uint64)
        for i, t in enumerate(short):
            words = hashes[owner == t]  # one or two words: an array op, so it wraps quietly
            extra[i : i + 1] = (words[:2] * np.array(_K[: len(words)])).sum(dtype=np.uint64)
        sh = np.concatenate([sh, extra])
        sh_owner = np.concatenate([sh_owner, short.astype(np.int64)])
    return _mix(sh), sh_owner


def signatures(texts: list[str], num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """One signature (``num_perm`` uint64 values) per text, and which texts have one.

    A text without words has no signature (its row is all ``EMPTY`` and its flag False).
    """
    n = len(texts)
    sig = np.full(n * num_perm, EMPTY, dtype=np.uint64)
    if n == 0:
        return sig.reshape(0, num_perm), np.zeros(0, dtype=bool)
    hashes, owner = _words(texts)
    sh, sh_owner = _shingles(hashes, owner, n)
    # bin = the high 32 bits scaled to num_perm (monotone); value = the low 32 bits
    bins = ((sh >> np.uint64(32)) * np.uint64(num_perm)) >> np.uint64(32)
    flat = sh_owner * num_perm + bins.astype(np.int64)
    np.minimum.at(sig, flat, sh & np.uint64(0xFFFFFFFF))
    sig = sig.reshape(n, num_perm)
    full = sig != EMPTY
    has = full.any(axis=1)
    if not full[has].all():
        _densify(sig, full, has)
    return sig, has


def _densify(sig: np.ndarray, full: np.ndarray, has: np.ndarray) -> None:
    """Fill each empty bin from the next full bin to its right (circularly), in place."""
    k = sig.shape[1]
    rows = np.flatnonzero(has & ~full.all(axis=1))
    f2 = np.concatenate([full[rows], full[rows]], axis=1)
    idx = np.where(f2, np.arange(2 * k), 2 * k)
    nearest = np.minimum.accumulate(idx[:, ::-1], axis=1)[:, ::-1][:, :k]
    steps = (nearest - np.arange(k)).astype(np.uint64)
    src = sig[rows][np.arange(len(rows))[:, None], nearest % k]
    sig[rows] = np.where(full[rows], sig[rows], src + steps * _ROTATE)


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The estimated Jaccard similarity: the fraction of equal bins."""
    return float(np.count_nonzero(a == b)) / len(a)
