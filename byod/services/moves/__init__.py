"""Moves: one user's content copied between two deployments, verified, resumable.

`transfer` is the engine (the package v4 move functions, called batch by batch); the job that
drives it (its model, phases, lease and tasks) sits beside it.
"""
