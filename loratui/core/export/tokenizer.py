"""Counting and cutting text by tokens: the ``approx`` estimate or a local tokenizer.

A local tokenizer is a ``tokenizer.json`` file, a model folder holding one, or a model name
whose files are already in the Hugging Face cache (looked up on disk only: loratui never
downloads anything). It is loaded with the ``tokenizers`` library, and counts are
``len(tokenizer.encode(text).ids)`` — special tokens included, as a trainer sees them.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path

from loratui.core.errors import LoratuiError
from loratui.core.tokens import approx_tokens


class Counter:
    """Counts tokens and cuts text at a token boundary.

    The last text counted is remembered (by identity, so it is exact and free to check): a
    chunk's text is counted once by the chunker and its record reuses that count.
    """

    name: str = "approx"
    fingerprint: str = "approx"
    _last_text: str | None = None
    _last_count = 0

    def count(self, text: str) -> int:
        if text is self._last_text:
            return self._last_count
        n = self._count(text)
        self._last_text, self._last_count = text, n
        return n

    def remember(self, text: str, n: int) -> None:
        """Record that ``text`` has ``n`` tokens (worked out without reading it again)."""
        self._last_text, self._last_count = text, n

    def _count(self, text: str) -> int:
        raise NotImplementedError

    def prefix_chars(self, text: str, max_tokens: int) -> int:
        """The length in characters of the longest prefix of ``text`` within ``max_tokens``."""
        raise NotImplementedError


class ApproxCounter(Counter):
    """The documented estimate from ``loratui.core.tokens`` (no model needed)."""

    name = "approx"
    fingerprint = "approx"

    def _count(self, text: str) -> int:
        return approx_tokens(text)

    def prefix_chars(self, text: str, max_tokens: int) -> int:
        if approx_tokens(text) <= max_tokens:
            return len(text)
        lo, hi = 0, len(text)
        while lo < hi:  # the estimate grows with the prefix, so bisect it
            mid = (lo + hi + 1) // 2
            if approx_tokens(text[:mid]) <= max_tokens:
                lo = mid
            else:
                hi = mid - 1
        return lo


class HFCounter(Counter):
    """A ``tokenizers.Tokenizer`` loaded from a local ``tokenizer.json``."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        try:
            self._tok = Tokenizer.from_file(str(path))
        except Exception as exc:  # noqa: BLE001 - the library raises plain Exception
            raise LoratuiError(
                "invalid",
                f"{path} is not a tokenizer.json the tokenizers library can read ({exc})",
                "point --set tokenizer= at a model's tokenizer.json or its folder",
            ) from exc
        self.path = path
        self.name = str(path)
        self.fingerprint = hashlib.sha256(path.read_bytes()).hexdigest()
        # encode_batch_fast (tokenizers >= 0.21) gives the same ids without tracking
        # offsets: about 30% faster, and counting is most of a BPE export's time
        self._fast = getattr(self._tok, "encode_batch_fast", None)

    def _count(self, text: str) -> int:
        if self._fast is not None:
            return len(self._fast([text])[0])
        return len(self._tok.encode(text).ids)

    def prefix_chars(self, text: str, max_tokens: int) -> int:
        enc = self._tok.encode(text)
        if len(enc.ids) <= max_tokens:
            return len(text)
        # the end offset of the last real token that fits (special tokens have (0, 0))
        end = 0
        for i, (start, stop) in enumerate(enc.offsets):
            if i >= max_tokens:
                break
            if stop > start:
                end = stop
        # offsets are in characters for Python strings; step back while over the budget
        while end > 0 and self.count(text[:end]) > max_tokens:
            end -= 1
        return end


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache, as ``huggingface_hub`` resolves it (env vars first)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HUGGINGFACE_HUB_CACHE"):
        return Path(os.environ["HUGGINGFACE_HUB_CACHE"]).expanduser()
    hf_home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "huggingface"
    )
    return Path(hf_home).expanduser() / "hub"


def _from_cache(name: str) -> Path | None:
    repo = hf_cache_dir() / ("models--" + name.replace("/", "--"))
    snapshots = repo / "snapshots"
    if not snapshots.is_dir():
        return None
    ref = repo / "refs" / "main"
    if ref.is_file():
        candidate = snapshots / ref.read_text().strip() / "tokenizer.json"
        if candidate.is_file():
            return candidate
    found = sorted(snapshots.glob("*/tokenizer.json"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def resolve(spec: str) -> Path | None:
    """The ``tokenizer.json`` a spec names, or ``None`` for ``approx``."""
    spec = (spec or "approx").strip()
    if spec == "approx":
        return None
    p = Path(spec).expanduser()
    if p.is_file():
        return p.resolve()
    if p.is_dir():
        if (p / "tokenizer.json").is_file():
            return (p / "tokenizer.json").resolve()
        raise LoratuiError(
            "not_found",
            f"the folder {p} has no tokenizer.json",
            "only fast tokenizers (tokenizer.json) are supported; point at the model folder "
            "that holds one",
        )
    cached = _from_cache(spec)
    if cached is not None:
        return cached
    raise LoratuiError(
        "not_found",
        f"no tokenizer {spec!r}: not a file, a folder, or a model in the Hugging Face cache "
        f"({hf_cache_dir()})",
        "use 'approx', a path to tokenizer.json, or download the model once with your usual "
        "tools (loratui never downloads)",
    )


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> HFCounter:
    return HFCounter(Path(path))


def get_counter(spec: str) -> Counter:
    """The counter for a config's ``tokenizer`` value (cached per file)."""
    path = resolve(spec)
    if path is None:
        return ApproxCounter()
    return _load(str(path), path.stat().st_mtime)
