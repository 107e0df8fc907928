"""Forms of the settings page. They only check shape (present, not absurdly long); what a URL
or a deploy key must look like is decided by ``byod.inputs`` through the connection services,
whose ``InputError(field, message)`` is attached back to the field it is about."""

from __future__ import annotations

from django import forms

URL_HELP = (
    'In the <a href="https://dashboard.convex.dev" rel="noopener">Convex dashboard</a> open '
    "your project, then <em>Settings → URL &amp; Deploy Key</em>. "
    "It looks like <code>https://happy-otter-123.convex.cloud</code>."
)
KEY_HELP = (
    "On the same page, generate a <em>production deploy key</em> (it starts with "
    "<code>prod:</code>). We encrypt it, only ever send it to your deployment, and never show "
    "it again."
)


class ConnectForm(forms.Form):
    """Deployment URL and deploy key, for connecting or for replacing the credentials."""

    url = forms.CharField(
        label="Deployment URL",
        max_length=255,
        help_text=URL_HELP,
        widget=forms.URLInput(
            attrs={
                "placeholder": "https://happy-otter-123.convex.cloud",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
    deploy_key = forms.CharField(
        label="Deploy key",
        max_length=4096,
        help_text=KEY_HELP,
        # Never rendered back (render_value=False). With htmx, hx-preserve keeps what the user
        # typed across the swap of the form, so a failed check does not make them paste again.
        widget=forms.PasswordInput(
            render_value=False,
            attrs={"autocomplete": "off", "spellcheck": "false", "hx-preserve": "true"},
        ),
    )
    confirm_foreign = forms.BooleanField(
        required=False,
        label="I understand: deploy our schema into this deployment anyway.",
    )

    def add_service_error(self, field: str | None, message: str) -> None:
        """Attach an error from the services; unknown fields become form-wide errors."""
        self.add_error(field if field in self.fields else None, message)


class NotificationsForm(forms.Form):
    """The mail settings of the settings page: the address we write to (the account's), and
    whether to write at all. A form without the address field leaves the address alone."""

    email = forms.EmailField(label="Email address", required=False, max_length=254)
    email_notifications = forms.BooleanField(required=False)
