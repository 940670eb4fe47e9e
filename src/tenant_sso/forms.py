"""Admin forms: the client secret is write-only, JSON fields get actionable messages."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import Connection


class ConnectionForm(forms.ModelForm):  # type: ignore[type-arg]
    client_secret = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Write-only: stored encrypted, never shown again. Leave empty to keep the current secret.",
    )

    class Meta:
        model = Connection
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.has_client_secret:
            self.fields["client_secret"].widget.attrs["placeholder"] = "•••••••• (set; type to replace)"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.has_client_secret and not data.get("client_secret"):
            self.add_error("client_secret", "A client secret is required.")
        return data

    def save(self, commit: bool = True) -> Connection:
        connection: Connection = super().save(commit=False)
        secret = self.cleaned_data.get("client_secret")
        if secret:
            connection.set_client_secret(secret)
        if commit:
            connection.save()
            self.save_m2m()
        return connection
