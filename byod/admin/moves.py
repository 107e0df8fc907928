"""Moves of users' content, read-only: their status, phase, counts per table and errors.
Requested and cancelled through `byod.services.moves.control` (`byod_move`), never edited."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from byod.admin.records import ReadOnlyAdmin
from byod.admin.words import error_cell
from byod.models import Move


@admin.register(Move)
class MoveAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "user",
        "direction",
        "status",
        "phase_display",
        "documents_display",
        "error_display",
        "created_at",
        "ended_at",
    )
    list_filter = ("status", "direction", "error_category", "phase")
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    ordering = ("-created_at", "-id")
    date_hierarchy = "created_at"

    # A sealed key waiting for a move is never shown, not even sealed.
    exclude = ("switch_key_ciphertext", "switch_key_id")

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        found = super().get_readonly_fields(request, obj)
        return [f for f in found if f not in self.exclude] + ["tables_display"]

    @admin.display(description="phase", ordering="phase")
    def phase_display(self, obj: Move) -> str:
        said = obj.get_phase_display()
        return f"{said}: {obj.phase_table}" if obj.phase_table else said

    @admin.display(description="documents")
    def documents_display(self, obj: Move) -> str:
        done, total = obj.totals()
        if not obj.tables:
            return "—"
        return f"{done:,} of {total:,}" if obj.counted else f"{done:,}, counting"

    @admin.display(description="error", ordering="error_category")
    def error_display(self, obj: Move) -> str:
        return error_cell(obj.error_category, obj.error_message)

    @admin.display(description="per table")
    def tables_display(self, obj: Move) -> SafeString:
        if not obj.tables:
            return format_html("{}", "—")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    table,
                    state.get("source_count", "—"),
                    state.get("copied", 0),
                    state.get("removed", 0),
                    "yes" if state.get("verified") else "no",
                )
                for table, state in sorted(obj.tables.items())
            ),
        )
        head = "<tr><th>table</th><th>at the source</th><th>copied</th><th>removed</th>"
        return format_html("<table>{}<th>verified</th></tr>{}</table>", SafeString(head), rows)
