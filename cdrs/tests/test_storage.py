"""How CDRs are stored: the indexes a CDR row writes, and the compression of the large documents."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = connection.vendor == "postgresql"


def _indexes(table: str) -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, table)
    return {name: info["columns"] for name, info in found.items() if info["index"] and not info["unique"]}


def test_cdr_indexes_cover_each_lookup_once():
    indexes = _indexes("cdrs_cdr")
    assert {"cdr_receiver_page", "cdr_session", "cdr_credit_reference", "cdr_unlinked"} <= indexes.keys()
    # receiver_id leads cdr_receiver_page: no index of its own, nor one on link_method alone
    assert ["receiver_id"] not in indexes.values()
    assert ["link_method"] not in indexes.values()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="partial indexes are read from PostgreSQL's catalog here")
def test_sparse_columns_are_indexed_only_where_set():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'cdrs_cdr' AND indexname IN "
            "('cdr_session', 'cdr_credit_reference', 'cdr_unlinked')"
        )
        definitions = dict(cursor.fetchall())
    assert "WHERE (session_id IS NOT NULL)" in definitions["cdr_session"]
    assert "WHERE (credit_reference_id IS NOT NULL)" in definitions["cdr_credit_reference"]
    assert "WHERE ((link_method)::text = ''::text)" in definitions["cdr_unlinked"]


@pytest.mark.skipif(not ON_POSTGRESQL, reason="column compression is a PostgreSQL setting")
@pytest.mark.parametrize(("table", "column"), [("cdrs_cdr", "document"), ("ocpi_sessions_session", "document")])
def test_documents_are_compressed_with_lz4(table, column):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
        if cursor.fetchone() is None:
            pytest.skip("this PostgreSQL server was built without lz4")
        cursor.execute(
            "SELECT attcompression FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s", [table, column]
        )
        assert cursor.fetchone() == ("l",)
