"""Locality-sensitive hashing for near-duplicates: the band layout and the band index.

The layout is datasketch's ``MinHashLSH`` choice (the bands b and rows r, b * r <= the
signature length, that minimise the equally weighted areas of false positives below the
threshold and false negatives above it), integrated here with numpy instead of scipy,
which took half a second to import in every export.

The index maps 64-bit band hashes to the records that have them. It was a SQLite table;
two B-tree operations per band and record (about 5 s for 100 MB of text) made it the
slowest part of the writing process. Here it is a few sorted numpy runs, merged as they
grow (a log-structured merge): 12 bytes per band of a kept record, about 1 MB per 10 MB
of text, and a batch of lookups is one ``searchsorted`` per run.
"""

from __future__ import annotations

import functools

import numpy as np

_GRID = 4097  # integration points on [0, 1] (Simpson's rule)


@functools.lru_cache(maxsize=32)
def band_layout(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows) for ``threshold`` and ``num_perm``, as datasketch's MinHashLSH picks."""
    below = np.linspace(0.0, threshold, _GRID)
    above = np.linspace(threshold, 1.0, _GRID)
    best, best_error = (0, 0), float("inf")
    for b in range(1, num_perm + 1):
        rows = np.arange(1, num_perm // b + 1, dtype=np.float64)[:, None]
        # a pair of similarity s becomes a candidate with probability 1 - (1 - s^r)^b
        fp = _simpson(1.0 - (1.0 - below[None, :] ** rows) ** b, below[1] - below[0])
        fn = _simpson((1.0 - above[None, :] ** rows) ** b, above[1] - above[0])
        error = 0.5 * fp + 0.5 * fn
        i = int(np.argmin(error))
        if error[i] < best_error:
            best, best_error = (b, i + 1), float(error[i])
    return best


def _simpson(y: np.ndarray, h: float) -> np.ndarray:
    """Row-wise Simpson's rule over evenly spaced samples (an odd number of them)."""
    return (h / 3.0) * (y[:, 0] + y[:, -1] + 4.0 * y[:, 1:-1:2].sum(1) + 2.0 * y[:, 2:-1:2].sum(1))


class BandIndex:
    """Band hash -> records, in sorted runs; ``lookup`` then ``add`` as records pass."""

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted keys, records)

    def __len__(self) -> int:
        return sum(len(keys) for keys, _ in self._runs)

    def lookup(self, keys: list[int]) -> dict[int, list[int]]:
        """The records indexed under each of ``keys`` (only keys that have some)."""
        found: dict[int, list[int]] = {}
        if not keys or not self._runs:
            return found
        query = np.asarray(keys, dtype=np.int64)
        for run_keys, run_records in self._runs:
            at = np.searchsorted(run_keys, query)
            hit = np.flatnonzero(run_keys[np.minimum(at, len(run_keys) - 1)] == query)
            for i in hit.tolist():  # rare: a band shared with an earlier record
                k, j = keys[i], int(at[i])
                while j < len(run_keys) and run_keys[j] == k:
                    found.setdefault(k, []).append(int(run_records[j]))
                    j += 1
        return found

    def add(self, keys: list[int], records: list[int]) -> None:
        """Index ``records[i]`` under ``keys[i]``."""
        if not keys:
            return
        k = np.asarray(keys, dtype=np.int64)
        order = np.argsort(k, kind="stable")
        self._runs.append((k[order], np.asarray(records, dtype=np.int32)[order]))
        # merge while the newest run is at least half the one before: O(log n) runs
        while len(self._runs) > 1 and 2 * len(self._runs[-1][0]) >= len(self._runs[-2][0]):
            (k2, r2), (k1, r1) = self._runs.pop(), self._runs.pop()
            merged_keys = np.concatenate([k1, k2])
            order = np.argsort(merged_keys, kind="stable")
            self._runs.append((merged_keys[order], np.concatenate([r1, r2])[order]))
