"""The DSL's own error: a schema definition it cannot accept, with a message showing the fix."""

from __future__ import annotations


class SchemaDefinitionError(TypeError):
    """A DSL call got something it cannot use (a string where a field list belongs, ...).

    A TypeError, because each case is a value of the wrong kind; the message names the
    index or table and shows what to write instead.
    """
