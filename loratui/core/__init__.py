"""The loratui engine: storage, queue, extraction, export. Never imports Textual."""
