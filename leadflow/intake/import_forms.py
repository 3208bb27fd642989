"""Forms of the import pages: the upload, and the column mapping."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from leadflow.intake.importing import IMPORT_FIELDS
from leadflow.intake.models import Campaign, Channel

# Largest upload accepted, in megabytes (LEADFLOW_IMPORT_MAX_MB).
ALLOWED_SUFFIXES = (".csv", ".txt", ".xlsx")


def max_upload_bytes() -> int:
    return int(getattr(settings, "LEADFLOW_IMPORT_MAX_MB", 200)) * 1024 * 1024


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8, any delimiter) or Excel (.xlsx).")
    )
    channel = forms.ModelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.filter(is_active=True),
        to_field_name="slug",
        initial="import",
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.filter(is_active=True),
        to_field_name="slug",
        required=False,
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB.") % {"mb": max_upload_bytes() // 2**20}
            )
        return upload


class ImportMappingForm(forms.Form):
    """One choice per column: a lead field, or kept as a custom attribute ("")."""

    def __init__(
        self, *args: Any, headers: list[str], initial_mapping: dict[str, str], **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        choices = [
            ("", _("— keep as custom attribute —")),
            *[(name, name) for name in IMPORT_FIELDS],
        ]
        self.headers = headers
        for index, header in enumerate(headers):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=header,
                choices=choices,
                required=False,
                initial=initial_mapping.get(header, ""),
            )

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"column_{index}", "")
            for index, header in enumerate(self.headers)
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        taken: dict[str, str] = {}
        for index, header in enumerate(self.headers):
            name = cleaned.get(f"column_{index}")
            if not name:
                continue
            if name in taken:
                self.add_error(
                    f"column_{index}",
                    _("“%(field)s” is already taken by the column “%(other)s”.")
                    % {"field": name, "other": taken[name]},
                )
            taken[name] = header
        return cleaned
