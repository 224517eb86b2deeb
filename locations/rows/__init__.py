"""The Locations app's hand-written SQL, all of it (docs/architecture.md, "ORM by default"): the Location row
and the EVSE rows on the push path (``location``, ``evse``: bench scenario B) and the look-ups other apps run
with theirs in one query (``lookups``: the CDR POST, bench E1). Nothing else in the app writes SQL."""
