from __future__ import annotations

from django.utils.translation import gettext as _


class ConflictError(Exception):
    """Someone else saved the record since the caller read it (optimistic concurrency)."""

    def __init__(self, message: str | None = None, *, current_version: int | None = None) -> None:
        self.current_version = current_version
        super().__init__(
            message
            or _(
                "This record was changed by someone else since you opened it. "
                "Reload it and apply your change again."
            )
        )
