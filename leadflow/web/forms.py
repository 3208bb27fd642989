"""Form pieces shared by every app's pages, and turning service errors into form errors."""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from leadflow.core.exceptions import ConflictError


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class VersionedForm(forms.Form):
    """An action on a record names the version the user saw, so a stale page cannot overwrite."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


def add_service_error(
    form: forms.Form, error: ValidationError | ConflictError | PermissionDenied
) -> None:
    """Show what a service refused on the form: per field where the form has that field.

    Errors about fields the form does not show (and conflicts, refusals) go to
    the top of the form, so nothing the service said is lost.
    """
    if isinstance(error, ConflictError | PermissionDenied):
        form.add_error(None, str(error) or _("You may not do this."))
        return
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            shown = field in form.fields and not form.fields[field].widget.is_hidden
            form.add_error(field if shown else None, errors)
    else:
        form.add_error(None, error.messages)
