"""A PATCH applied to a stored canonical object without losing what the caller's version cannot express.

A module validates a PATCH as its caller sees the object: the stored canonical document rendered in the
caller's version, the body merged in, the version's model over the result. Storing that result would replace
every field with its round trip through the caller's version, and a round trip through 2.2.1 loses values
(a 2.3.0 token type becomes ``OTHER``, a tax breakdown becomes ``incl_vat``, charging-period dimensions 2.2.1
has no name for are dropped). ``checked_fields`` keeps the stored value of each field the body did not send.
"""

from __future__ import annotations

from typing import Any

from ocpi_hub.api.unknown import UNKNOWN

Doc = dict[str, Any]


def checked_fields(stored: Doc, body: Doc, checked: Doc) -> Doc:
    """``stored`` with the fields ``body`` sends taken from ``checked`` (the canonical document the module's
    parser made of the merged object; a field sent as ``null`` is absent there, so it is removed).

    The fields no model knows (``UNKNOWN``) are kept for one version only: the write's when it carries any
    of its version, the stored ones otherwise."""
    result = {key: value for key, value in stored.items() if key not in body and key != UNKNOWN}
    result.update({key: checked[key] for key in body if key in checked and key != UNKNOWN})
    kept = checked.get(UNKNOWN) or stored.get(UNKNOWN)
    if kept:
        result[UNKNOWN] = kept
    return result
