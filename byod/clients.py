"""The one way services get a Convex client: for a connection, or for credentials not yet saved.

    with client_for(connection, purpose=Purpose.HEALTH) as client:
        client.check_admin_key()

The purpose chooses the client's budget (`byod.client.budget`): connect and read timeouts, the
deadline of each call and of all the calls of the unit of work, the largest answer. The URL is
parsed again (an allow-list entry may have been removed since it was saved) and the SSRF guard
vets the addresses before the first connection.

**How long a deploy key lives in memory.** The plaintext key is opened from its sealed value
(`byod.keys`) only to make the client of one unit of work: a web request ("Check connection",
connecting), a health probe, a count, a deploy attempt (on a worker, a task's step). It lives
only inside that client object, and the client forgets it when its `with` block ends; the pooled
connections the client borrows (one pool per destination, shared by the process) never hold it.
Nothing caches an opened key, so new credentials or a disconnect need no eviction: the next unit
of work opens what is stored then (or finds nothing).
"""

from __future__ import annotations

from django.views.decorators.debug import sensitive_variables

from byod import keys
from byod.client import Budget, ConvexClient, Purpose
from byod.inputs import DeploymentUrl, parse_url
from byod.models import Connection

__all__ = ["Purpose", "client_for", "client_for_credentials"]


@sensitive_variables("key")
def client_for(connection: Connection, *, purpose: Purpose) -> ConvexClient:
    """A client of the connection's deployment with its stored key, for one unit of work.

    Raises InputError when the stored URL is no longer allowed, NoDeployKey or KeyUnreadable
    when the key cannot be opened.
    """
    url = parse_url(connection.url)
    key = keys.open_deploy_key(connection)
    return ConvexClient(url, key, budget=Budget.of(purpose))


@sensitive_variables("deploy_key")
def client_for_credentials(
    url: str | DeploymentUrl,
    deploy_key: str,
    *,
    purpose: Purpose,
    timeout: float | None = None,
) -> ConvexClient:
    """A client of `url` with a key that is not stored (yet): "Check connection", connecting,
    a deploy that keeps the key it started with. `timeout` lowers every time limit of the
    purpose's budget."""
    parsed = parse_url(url) if isinstance(url, str) else url
    return ConvexClient(parsed, deploy_key, budget=Budget.of(purpose), timeout=timeout)
