"""Command groups of the headless CLI; each module has ``register(subparsers)``."""
