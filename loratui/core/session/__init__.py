"""A project at work: its worker, its drop-folder watcher and its extraction processes."""
