"""Database housekeeping that is not a schema migration."""

from __future__ import annotations

from django.db import connection


def planner_statistics_refresh() -> None:
    """Recompute the query planner's statistics after a bulk load.

    Without them SQLite answers a rep's list (``owner = me OR team = mine``,
    newest first) by merging two indexes and sorting every matching row — a
    quarter of a second at 100,000 leads — instead of walking the date index
    and stopping after one page. PostgreSQL's autovacuum analyses on its own,
    but not always soon after a bulk insert.
    """
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
