"""Business logic: the entry points views, admin and commands call."""
