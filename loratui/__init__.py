"""loratui: documents in, versioned LoRA datasets out."""

__version__ = "0.1.0"
