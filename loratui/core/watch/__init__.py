"""The drop folder: watch it, decide when a file is complete, take it exactly once."""
