from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from accounts.models import User


class SignUpForm(UserCreationForm[User]):
    email = forms.EmailField(
        required=True,
        help_text="For password reset links, and for mails about your database (you can turn "
        "those off on its settings page).",
    )

    class Meta:
        model = User
        fields = ("username", "email")
