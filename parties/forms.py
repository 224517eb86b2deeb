"""Admin forms for onboarding parties: invite one (we hand out token A) or register with one (it gave us A)."""

from __future__ import annotations

from django import forms

from parties.models import SCOPES, Agreement
from parties.selectors import open_agreement_exists

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


class AgreementForm(forms.ModelForm):
    """The admin's add/change form of an agreement: parties as country_code/party_id, at least one scope."""

    class Meta:
        model = Agreement
        fields = [
            "cpo_country_code",
            "cpo_party_id",
            "emsp_country_code",
            "emsp_party_id",
            "valid_from",
            "valid_until",
            *SCOPES,
            "note",
        ]

    def clean(self) -> dict:
        data = super().clean() or {}
        for side in ("cpo", "emsp"):
            cc, pid = data.get(f"{side}_country_code"), data.get(f"{side}_party_id")
            if cc is not None:
                data[f"{side}_country_code"] = cc = cc.strip().upper()
            if pid is not None:
                data[f"{side}_party_id"] = pid = pid.strip().upper()
            if cc is not None and (len(cc) != 2 or not cc.isalpha()):
                self.add_error(f"{side}_country_code", "Two letters, e.g. NL.")
            if pid is not None and not (1 <= len(pid) <= 3 and pid.isalnum()):
                self.add_error(f"{side}_party_id", "One to three letters or digits, e.g. CPA.")
        if not any(data.get(scope) for scope in SCOPES if scope in self.fields):
            raise forms.ValidationError("Choose at least one scope.")
        names = ("cpo_country_code", "cpo_party_id", "emsp_country_code", "emsp_party_id")
        pair = [str(data.get(name) or "") for name in names]
        if self.instance.pk is None and all(pair) and open_agreement_exists(*pair):
            raise forms.ValidationError(
                f"CPO {pair[0]}/{pair[1]} and eMSP {pair[2]}/{pair[3]} already have an agreement that has not "
                "ended: activate, suspend or end that one."
            )
        return data
