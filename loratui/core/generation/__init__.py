"""Question/answer generation from document chunks with an OpenAI-compatible model server.

loratui is only the client: the model runs elsewhere (vLLM, llama-server, Ollama, SGLang,
LM Studio). One idea per module:

- ``templates``: the prompts (built-in Q/A and instruction/response), their version hash;
- ``settings``: every choice of a generation run, with defaults, validation and TOML;
- ``request_key``: the ledger key of a request (never pay twice for the same answer);
- ``failures``: stable error codes and hints for everything a server can do wrong;
- ``retry_policy``: Retry-After and backoff delays;
- ``response_format``: what to ask for (json_schema, json_object) and how to tell a refusal;
- ``client``: the asyncio client (concurrency cap, retries, per-attempt reports);
- ``json_answer`` / ``pair_schema`` / ``parsing``: from a model's text to validated pairs;
- ``words`` / ``support`` / ``gates`` / ``question_index`` / ``judge``: the quality gates.

Importing this package loads nothing; ``client`` loads httpx, the parsing modules pydantic
and json-repair, ``question_index`` numpy. ``templates``, ``settings``, ``request_key``,
``gates`` and ``support`` load none of them, so the CLI and the TUI can show settings fast.
"""
