"""Moves: one user's content copied between two deployments, verified, resumable.

- `transfer` is the engine: one owner's documents between two deployments (the package v4 move
  functions, called batch by batch: ids remapped, digests, every batch idempotent);
- `control`: request and cancel a move (views, admin and `byod_move` call it), preview what
  would move, and the move in that a first deploy starts when moves are on;
- `run`: an attempt on a worker (leases, waiting, failing) and its tasks; `phases`: what it does
  (preflight, freeze, copy, fix, verify, flip; delete);
- `reaper`: moves whose worker died go back to the queue and resume from their cursors;
- `purge`: the old copy of a finished move, removed once kept long enough (the scheduler).
"""
