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


class AgreementImportForm(forms.Form):
    csv_file = forms.FileField(required=False, label="CSV file", help_text="UTF-8, comma-separated, header first.")
    csv_text = forms.CharField(
        required=False, label="or paste CSV", widget=forms.Textarea(attrs={"rows": 8, "cols": 80})
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        upload = data.get("csv_file")
        if upload is not None:
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text.") from None
        else:
            data["text"] = data.get("csv_text") or ""
        if not data["text"].strip():
            raise forms.ValidationError("Choose a CSV file or paste CSV text.")
        return data
