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
