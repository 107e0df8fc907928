from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from accounts.models import User
from byodsite.admin_lists import SafeListsMixin


@admin.register(User)
class UserAdmin(SafeListsMixin, BaseUserAdmin[User]):
    list_display = ("username", "email", "external_id", "is_staff", "date_joined")
    readonly_fields = ("external_id",)
    fieldsets = (*(BaseUserAdmin.fieldsets or ()), ("Product", {"fields": ("external_id",)}))
    # An address on the add form too: mails about a user's database go to it (without one,
    # their settings page asks them for one).
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "email", "usable_password", "password1", "password2"),
                "description": "Mails about the user's database go to the email address.",
            },
        ),
    )
