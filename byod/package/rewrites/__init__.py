"""The package's rewrites, one module per version that changes existing documents.

Each module `v<N>.py` defines `DECLARATION`, a `VersionRewrites` for version N: the rewrites
that bring version N-1's documents to version N (run in order, one pass over one table each),
the destructive changes it means (`acknowledge`) and what going back to N-1 loses
(`downgrade_acknowledge`). The modules are found by name: a new `v3.py` counts as soon as it
exists (no list to keep), and one whose name and `DECLARATION.version` disagree is refused.
`manage.py byod_schema check` holds each version to its changes; `manage.py byod_build`
records them in the version's manifest, which is all the worker reads.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from byod.schema.rewrites import RewriteDefinitionError, VersionRewrites

# Every version from this one up can be upgraded to the current one in one deploy; the
# expanded schema of each version accepts the documents of all of them.
OLDEST_SUPPORTED = 1

_MODULE = re.compile(r"v([1-9][0-9]*)")


def _discover() -> dict[int, VersionRewrites]:
    found: dict[int, VersionRewrites] = {}
    for info in pkgutil.iter_modules(__path__):
        match = _MODULE.fullmatch(info.name)
        if match is None:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        declaration = getattr(module, "DECLARATION", None)
        if not isinstance(declaration, VersionRewrites):
            raise RewriteDefinitionError(
                f"{module.__name__} must define DECLARATION = VersionRewrites({match[1]}, ...)"
            )
        if declaration.version != int(match[1]):
            raise RewriteDefinitionError(
                f"{module.__name__} declares version {declaration.version}, not {match[1]}"
            )
        found[declaration.version] = declaration
    return dict(sorted(found.items()))


DECLARATIONS: dict[int, VersionRewrites] = _discover()


def declared(version: int) -> VersionRewrites:
    """What `version` declares (nothing for a version that changes no data)."""
    return DECLARATIONS.get(version) or VersionRewrites(version)


def custom_functions(up_to: int) -> list[str]:
    """Hand-written rewrite functions named by versions up to `up_to` (a build of that
    version must contain all of them: one deploy may run several versions' rewrites)."""
    return sorted({f for v, d in DECLARATIONS.items() if v <= up_to for f in d.custom_functions()})
