"""Admin forms for onboarding parties: invite one (we hand out token A) or register with one (it gave us A)."""

from __future__ import annotations

from django import forms

RAW_TOKENS_HELP = "The party uses raw tokens instead of Base64-encoded ones (some pre-2.2 implementations)."


class InviteForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Name of the platform, e.g. 'Acme Charging'.")
    raw_tokens = forms.BooleanField(required=False, label="Raw tokens", help_text=RAW_TOKENS_HELP)


class RegisterForm(forms.Form):
    versions_url = forms.URLField(
        max_length=255, assume_scheme="https", label="Versions URL", help_text="The party's OCPI versions endpoint."
    )
    token_a = forms.CharField(
        max_length=255,
        label="Token A",
        help_text="The registration token the party gave us.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    name = forms.CharField(max_length=100, required=False, help_text="Defaults to the versions URL.")
    raw_tokens = forms.BooleanField(required=False, label="Raw tokens", help_text=RAW_TOKENS_HELP)
