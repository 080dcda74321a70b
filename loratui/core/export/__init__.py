"""Dataset export: documents in, immutable and reproducible trainer-ready dataset versions out.

``config`` holds what a user chooses; ``version`` runs an export; ``check`` reads a file the
way a trainer would; ``diff`` compares two versions. See docs in FORMATS.md for layouts.
"""
