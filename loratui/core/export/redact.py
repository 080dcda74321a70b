"""Optional redaction of personal data and secrets, replaced by a placeholder.

Patterns are deliberately conservative (few false positives on ordinary prose): e-mail
addresses, phone numbers written with a country code or grouped digits, IPv4 and IPv6
addresses, and secrets — private key blocks, well-known API key shapes, and values assigned
to names like ``api_key``, ``secret``, ``token`` or ``password``.
"""

from __future__ import annotations

import re
from collections import Counter

PATTERNS: dict[str, list[re.Pattern[str]]] = {
    "secret": [
        re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL
        ),
        re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),  # AWS access key id
        re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),  # GitHub tokens
        re.compile(r"\bgithub_pat_[A-Za-z0-9_]{40,}\b"),
        re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),  # Slack
        re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b"),  # OpenAI / Anthropic style
        re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),  # Google API key
        re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),  # Hugging Face token
        re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\b"),  # JWT
        re.compile(
            r"(?i)(\b(?:api[_-]?key|secret|token|password|passwd|access[_-]?key)"
            r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]{6,}"
        ),
    ],
    "email": [re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")],
    "ip": [
        re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
        re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}(?![\w:])"),
        re.compile(
            r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4})*)?(?![\w:])"
        ),
    ],
    "phone": [
        re.compile(
            r"(?<![\w+])\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){2,4}\b"
        ),
        re.compile(r"(?<![\w.-])\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}\b"),
        re.compile(r"(?<![\w.-])0\d{1,4}[\s/-]\d{3,4}[\s-]?\d{3,4}\b"),
    ],
}
ORDER = ("secret", "email", "ip", "phone")  # secrets first: a key may contain an @ or digits


class Redactor:
    """Replace the chosen kinds with the placeholder; count what was replaced."""

    def __init__(self, kinds: list[str], placeholder: str = "[{KIND}]") -> None:
        self.kinds = [k for k in ORDER if k in kinds]
        self.placeholder = placeholder
        self.counts: Counter[str] = Counter()

    def __call__(self, text: str) -> str:
        for kind in self.kinds:
            repl = self.placeholder.format(KIND=kind.upper(), kind=kind)
            for pattern in PATTERNS[kind]:
                # a pattern with a group keeps the group (the key name) and replaces the value
                r = (lambda m, repl=repl: m.group(1) + repl) if pattern.groups else repl
                text, n = pattern.subn(r, text)
                if n:
                    self.counts[kind] += n
        return text
