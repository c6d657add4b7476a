"""Several workers on one PostgreSQL: the duty lease, the worker registry, reload and knowledge notices."""
