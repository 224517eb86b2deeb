"""The CDRs app's hand-written SQL: whether a CDR is stored, as a look-up the CDR POST runs with its others in
one query (bench E1)."""

from __future__ import annotations

from cdrs.models import Cdr
from ocpi_hub.db import Lookup


def cdr_key_lookup(*, country_code: str, party_id: str, cdr_id: str) -> Lookup:
    """Whether a CDR of this id is stored, as a look-up (``ocpi_hub.db.lookup_together``): its row id."""
    sql = f"SELECT id FROM {Cdr._meta.db_table} WHERE country_code = %s AND party_id = %s AND cdr_key = %s LIMIT 1"
    return Lookup(sql, [country_code.upper(), party_id.upper(), cdr_id.upper()])
