"""Trying the settings on one chunk before a run: the request as it is sent, the answer, and
the pairs with each gate's verdict, with nothing stored (no run, ledger row, job or pair).

The Generate screen's "test on one chunk" uses it; so can a script. The duplicate gate and
the judge are left out: the first needs the project's kept questions, the second a request
more, and both are a run's business. ``served_models`` is the server's ``/models`` list,
asked once (no retries), for the model picker.
"""

from __future__ import annotations

from dataclasses import dataclass

from loratui.core.errors import LoratuiError
from loratui.core.export.config import load_config as load_export_config
from loratui.core.generation.chunks import ChunkItem, iter_chunks
from loratui.core.generation.client import Completion
from loratui.core.generation.gates import GateRules, Rejection, check_pair
from loratui.core.generation.pair_schema import response_schema
from loratui.core.generation.parsing import ParsedPairs, parse_pairs
from loratui.core.generation.server_pool import open_client
from loratui.core.generation.settings import GenerationSettings
from loratui.core.generation.support import ChunkVocabulary
from loratui.core.store.models import Project


@dataclass(frozen=True)
class TrialPair:
    """One parsed pair and what the per-pair gates say of it."""

    question: str
    answer: str
    rejection: Rejection | None
    support: float | None

    @property
    def kept(self) -> bool:
        return self.rejection is None


@dataclass(frozen=True)
class Trial:
    """What one chunk's request and answer came to."""

    chunk: ChunkItem
    model: str
    messages: list[dict[str, str]]
    completion: Completion
    parsed: ParsedPairs
    pairs: tuple[TrialPair, ...]

    @property
    def kept(self) -> int:
        return sum(p.kept for p in self.pairs)


def first_chunk(project: Project, document_id: int | None = None) -> ChunkItem:
    """The first chunk a run would ask about (of ``document_id`` when given); ``empty``
    when the project has no text to ask about. Reads the database: call it in a thread."""
    for chunk in iter_chunks(project, load_export_config(project)):
        if document_id is None or chunk.document_id == document_id:
            return chunk
    raise LoratuiError(
        "empty",
        f"project {project.name!r} has no processed text to ask about",
        "add documents (key a) and let them be processed first",
    )


async def served_models(settings: GenerationSettings, api_key: str | None = None) -> list[str]:
    """The model names the server lists at ``/models`` (one try: a picker must not hang);
    with several servers, the models they all serve."""
    async with open_client(settings, api_key=api_key) as client:
        return await client.list_models(attempts=1)


async def try_chunk(
    settings: GenerationSettings, chunk: ChunkItem, api_key: str | None = None
) -> Trial:
    """Ask for ``chunk``'s pairs as a run would (same prompt, schema, sampling, retries) and
    gate them; ``GenerationError`` (message and hint) when the server fails us."""
    settings.check()
    template = settings.prompt_template()
    messages = template.render(
        text=chunk.text,
        title=chunk.title,
        heading=chunk.heading,
        pairs_per_chunk=settings.pairs_per_chunk,
    )
    schema = response_schema(template.question_key, template.answer_key)
    async with open_client(settings, api_key=api_key) as client:
        model = await client.resolve_model()
        completion = await client.chat(messages, schema=schema, model=model)
    parsed = parse_pairs(completion.content, finish_reason=completion.finish_reason)
    rules = GateRules.from_settings(settings)
    vocab = ChunkVocabulary(chunk.text)
    pairs = []
    for pair in parsed.pairs:
        verdict = check_pair(pair.question, pair.answer, vocab, rules)
        pairs.append(TrialPair(pair.question, pair.answer, verdict.rejection, verdict.support))
    return Trial(chunk, model, messages, completion, parsed, tuple(pairs))
