"""Benchmarks that print numbers (not tests). Run them with `scripts/bench NAME [options]`.

Each works on a throwaway database (a temporary SQLite file, or a temporary PostgreSQL
database when `--database postgres://...` is given), never on your configured one, with
throwaway secrets, and starts its own Convex emulator from `tests/emulator`.
"""
