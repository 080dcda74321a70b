"""Projects and the user's data: create and delete, privacy, purge, archive, restore."""
