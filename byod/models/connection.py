"""A user's connection to their Convex deployment, and the vocabulary for choosing them."""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from byod import package
from byod.errors import find
from byod.models.health import HealthQuerySet
from byod.models.statuses import (
    ConnectionStatus,
    Health,
    HealthSource,
    LeaseKind,
    MemberState,
    RolloutStatus,
)

# A count of documents not finished after this lost its worker: given up, the user may ask again.
COUNT_STALE_AFTER = timedelta(minutes=10)


def outdated_q(version: int | None = None) -> Q:
    """Connections that should run a newer package version than they do: the one definition
    of "outdated" (``Connection.is_outdated`` applies the same rule to one row)."""
    target = package.current_version() if version is None else version
    return ~Q(status=ConnectionStatus.DISCONNECTED) & (
        Q(deployed_version__isnull=True) | Q(deployed_version__lt=target)
    )


def counting_q() -> Q:
    """Connections whose documents are being counted: asked for, not finished, not given up
    (``Connection.count_is_pending`` applies the same rule to one row)."""
    return Q(count_requested_at__gte=timezone.now() - COUNT_STALE_AFTER)


def offered_by_rollouts() -> Subquery:
    """For each connection (the outer row), the version of the latest rollout that offers it
    one: the one definition of "offered" (``ConnectionQuerySet.with_offer`` applies it).

    A started rollout offers its version to a member once the member's wave is reached (the
    canary at once, each wave as the drivers reach it) and to everyone once it is opened
    (``Rollout.opened_at``). A pause holds the offer where it is; an abort withdraws it from
    every member whose deploy did not start. A member already on the version (skipped) counts
    as offered, so a later rollout (a way back) decides for it. The latest rollout that offers
    a connection anything decides; a rollout that reaches it no more does not hide older ones.
    """
    # Through the app registry: the rollout models import this module.
    rollout_model = apps.get_model("byod", "Rollout")
    member_model = apps.get_model("byod", "RolloutMember")
    members = member_model.objects.filter(
        rollout=OuterRef("pk"), connection=OuterRef(OuterRef("pk"))
    )
    reached = members.filter(state__in=(MemberState.STARTED, MemberState.SKIPPED))
    wave_reached = members.filter(state=MemberState.PENDING, wave__lte=OuterRef("current_wave"))
    aborted = Q(status=RolloutStatus.ABORTED)
    offering = (
        rollout_model.objects.exclude(status=RolloutStatus.PLANNED)
        .filter(
            (Q(opened_at__isnull=False) & ~aborted)
            | Exists(reached)
            | (~aborted & Exists(wave_reached))
        )
        .order_by("-pk")
    )
    return Subquery(offering.values("version")[:1])


class ConnectionQuerySet(HealthQuerySet["Connection"]):
    def usable(self) -> ConnectionQuerySet:
        """Connections we can deploy to: not disconnected, with a stored key."""
        return self.exclude(status=ConnectionStatus.DISCONNECTED).exclude(key_ciphertext="")

    def outdated(self, version: int | None = None) -> ConnectionQuerySet:
        """Behind `version` (default: the package's current version), or with nothing deployed."""
        return self.filter(outdated_q(version))

    def with_offer(self) -> ConnectionQuerySet:
        """Annotated with `offered_version`: the version the user may deploy on their own (the
        settings page's "Update now", the "version available" mail). A connection never
        deployed (a new user) is offered the current version; any other only what a rollout
        offers it (``offered_by_rollouts``), None when nothing is."""
        current = package.current_version()
        return self.annotate(
            offered_version=Case(
                When(deployed_version__isnull=True, then=Value(current)),
                default=offered_by_rollouts(),
                output_field=models.PositiveIntegerField(null=True),
            )
        )

    def offered_update(self) -> ConnectionQuerySet:
        """Deployed connections to which a rollout offers a newer version than they run (with
        `offered_version`): who may read "version N is available"."""
        newer = Q(offered_version__gt=F("deployed_version"))  # the annotation's name
        return self.with_offer().filter(newer, deployed_version__isnull=False)

    def failing(self) -> ConnectionQuerySet:
        """Connections whose last deploy (or health check) failed."""
        return self.filter(status=ConnectionStatus.ERROR)

    def active(self) -> ConnectionQuerySet:
        """Every connection that is not disconnected."""
        return self.exclude(status=ConnectionStatus.DISCONNECTED)

    def counting(self) -> ConnectionQuerySet:
        """Connections whose documents are being counted (``counting_q``)."""
        return self.filter(counting_q())


class Connection(models.Model):
    """One user's link to their own Convex deployment."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="byod_connection"
    )
    url = models.CharField(max_length=255, help_text="Normalized deployment URL.")
    deployment_name = models.CharField(
        max_length=128, blank=True, help_text="Cloud deployment name or self-hosted instance name."
    )
    # base64(nonce + AES-GCM ciphertext); empty when there is no key (e.g. disconnected).
    key_ciphertext = models.TextField(blank=True, default="", editable=False)
    key_id = models.CharField(max_length=32, blank=True, default="", editable=False)
    key_changed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING
    )
    # What the deployment was verified to run (our meta:get read it back) ...
    deployed_version = models.PositiveIntegerField(null=True, blank=True)
    deployed_package_hash = models.CharField(max_length=64, blank=True, default="")
    # ... and what was last pushed to it, verified or not (a push can finish and the version
    # still fail to be recorded, e.g. on a deployment paused meanwhile).
    pushed_version = models.PositiveIntegerField(null=True, blank=True)
    pushed_package_hash = models.CharField(max_length=64, blank=True, default="")
    # Set while the deployment runs the expanded schema of this version (its data migrations
    # run, or one failed): its documents may be of any version up to this one.
    migrating_version = models.PositiveIntegerField(null=True, blank=True)
    last_error_category = models.CharField(max_length=32, blank=True, default="")
    last_error_message = models.TextField(blank=True, default="")
    last_error_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=64, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # What holds the lease: a deploy or a move (`byod.services.deploys.lease`); empty when free.
    lease_kind = models.CharField(max_length=8, choices=LeaseKind.choices, blank=True, default="")
    last_deploy_at = models.DateTimeField(null=True, blank=True)
    last_check_at = models.DateTimeField(null=True, blank=True)
    # Health (byod.models.health; changed only by byod.transitions.health). consecutive_failures
    # above counts failed probes in a row; a successful deploy resets it too.
    health = models.CharField(max_length=16, choices=Health.choices, default=Health.UNKNOWN)
    health_reason = models.CharField(max_length=32, blank=True, default="")  # error category
    health_message = models.TextField(blank=True, default="")  # for the user: what to do
    health_detail = models.TextField(blank=True, default="")  # for operators (no secrets)
    health_changed_at = models.DateTimeField(null=True, blank=True)
    # Who made the last judgement: a probe, or a deploy that failed (or succeeded) in a way
    # that says something about the deployment (byod.errors: Category.about_deployment).
    health_source = models.CharField(
        max_length=16, choices=HealthSource.choices, blank=True, default=""
    )
    consecutive_successes = models.PositiveIntegerField(default=0)
    last_check_ms = models.PositiveIntegerField(null=True, blank=True)  # the probe's latency
    next_check_at = models.DateTimeField(null=True, blank=True)  # null: due now
    check_claim = models.CharField(max_length=32, blank=True, default="", editable=False)
    check_requested_at = models.DateTimeField(null=True, blank=True)  # "Check now"
    # The main deployment's breaker (byod.transitions.breaker): when requests for content last
    # opened it, or one was let through to try (half-open); null: not opened by requests.
    breaker_opened_at = models.DateTimeField(null=True, blank=True)
    # The operator's main deployment (byod.data): it holds the content of every user without
    # their own. Owned by a system user; deployed, rolled out and checked like any other.
    is_main = models.BooleanField(default=False)
    email_notifications = models.BooleanField(default=True)
    # The address (scheme and host) the user last reached this site at, from the requests in
    # which they acted on this connection: mails link there when BYOD_SITE_URL is not set.
    site_url = models.CharField(max_length=255, blank=True, default="")
    # "What is in my deployment": documents per table of ours, as last counted on the worker
    # (byod.services.contents), and when. A count asked for and not finished yet holds
    # count_requested_at; a count that failed keeps the previous counts and says why.
    table_counts = models.JSONField(default=dict, blank=True)
    table_counts_at = models.DateTimeField(null=True, blank=True)
    count_requested_at = models.DateTimeField(null=True, blank=True)
    count_error = models.CharField(max_length=32, blank=True, default="")  # error category
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        # Operators' permission to read /metrics (superusers have every permission).
        permissions = [("view_metrics", "Can read the metrics endpoint (/metrics)")]
        indexes = [
            models.Index(fields=["status"], name="byod_conn_status_idx"),
            models.Index(fields=["deployed_version"], name="byod_conn_version_idx"),
            models.Index(fields=["key_id"], name="byod_conn_key_id_idx"),
            models.Index(fields=["next_check_at"], name="byod_conn_next_check_idx"),
            models.Index(fields=["health", "health_reason"], name="byod_conn_health_idx"),
            models.Index(fields=["check_claim"], name="byod_conn_check_claim_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ConnectionStatus.values), name="byod_conn_status_valid"
            ),
            # A key and its key id come and go together.
            models.CheckConstraint(
                condition=(Q(key_ciphertext="") & Q(key_id=""))
                | (~Q(key_ciphertext="") & ~Q(key_id="")),
                name="byod_conn_key_and_key_id_together",
            ),
            models.CheckConstraint(
                condition=Q(health__in=Health.values), name="byod_conn_health_valid"
            ),
            models.UniqueConstraint(
                fields=["is_main"], condition=Q(is_main=True), name="byod_conn_one_main"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} -> {self.deployment_name or self.url} ({self.status})"

    @property
    def is_outdated(self) -> bool:
        """``outdated_q()`` for this row."""
        if self.status == ConnectionStatus.DISCONNECTED:
            return False
        return self.deployed_version is None or self.deployed_version < package.current_version()

    @property
    def has_key(self) -> bool:
        return bool(self.key_ciphertext)

    @property
    def check_is_pending(self) -> bool:
        """Someone asked for a check ("Check now") that has not run yet."""
        asked, done = self.check_requested_at, self.last_check_at
        return asked is not None and (done is None or done < asked)

    @property
    def count_is_pending(self) -> bool:
        """``counting_q()`` for this row: a count asked for is under way."""
        asked = self.count_requested_at
        return asked is not None and asked >= timezone.now() - COUNT_STALE_AFTER

    @property
    def health_reason_label(self) -> str:
        kind = find(self.health_reason)
        return kind.label if kind else self.health_reason

    @property
    def is_usable(self) -> bool:
        """``ConnectionQuerySet.usable()`` for this row: we can deploy to it."""
        return self.status != ConnectionStatus.DISCONNECTED and self.has_key
