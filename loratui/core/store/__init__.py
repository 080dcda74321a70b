"""Where state lives: the database, its tables and migrations, the home folder, settings."""
