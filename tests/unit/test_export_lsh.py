"""The near-duplicate LSH: datasketch's band layout without scipy, and the band index."""

from __future__ import annotations

import random

import pytest

from loratui.core.export.lsh import BandIndex, band_layout


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
def test_band_layout_is_datasketchs(num_perm: int) -> None:
    lsh = pytest.importorskip("datasketch.lsh")
    for threshold in (0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9):
        want = lsh._optimal_param(threshold, num_perm, 0.5, 0.5)
        assert band_layout(threshold, num_perm) == want, threshold


def test_band_layout_known_values() -> None:
    # what datasketch 1.6 picks (so the test means something without it installed)
    assert band_layout(0.85, 128) == (8, 16)
    assert band_layout(0.5, 128) == (25, 5)
    bands, rows = band_layout(0.9, 16)  # datasketch refuses one band; it still works here
    assert bands * rows <= 16 and bands >= 1


def test_band_index_finds_what_was_added_across_merges() -> None:
    rng = random.Random(3)
    index = BandIndex()
    truth: dict[int, list[int]] = {}
    keys = [rng.randrange(-(2**63), 2**63) for _ in range(3_000)]
    record = 0
    for _ in range(200):  # batches of varied size: runs are created and merged
        batch = [rng.choice(keys) for _ in range(rng.randrange(1, 60))]
        records = list(range(record, record + len(batch)))
        record += len(batch)
        for k, r in zip(batch, records, strict=True):
            truth.setdefault(k, []).append(r)
        index.add(batch, records)
        probe = rng.sample(keys, 40)
        found = index.lookup(probe)
        for k in probe:
            assert sorted(found.get(k, [])) == sorted(truth.get(k, [])), k
    assert len(index) == record
    assert len(index._runs) <= 12, "runs are merged as they grow"
    assert index.lookup([]) == {} and BandIndex().lookup([1, 2]) == {}
