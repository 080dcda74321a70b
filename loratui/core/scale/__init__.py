"""Running past one machine: the Ray engine (``--engine ray``), imported only when asked for."""
