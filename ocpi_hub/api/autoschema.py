"""The AutoSchema class of the OCPI API (kept apart from the views-importing schema module).

Views describe themselves with class attributes, read here for the OCPI version of the document being
generated (``docs/api-guide.md``, "Describing a view", is the reference):

- ``ocpi_request``: the body of POST/PUT/PATCH (PATCH is documented as a partial object).
- ``ocpi_response``: the ``data`` of the 200 envelope, for every method but DELETE.
- ``ocpi_many = True``: a GET on a URL without path parameters answers a paginated list (query parameters
  ``offset``/``limit``/``date_from``/``date_to``; headers ``Link``/``X-Total-Count``/``X-Limit``).
- ``ocpi_versions``: the OCPI versions the endpoint exists in (default: every supported version).
- ``ocpi_created = True``: POST answers HTTP 201 (new object) or 200 (known object), with ``Location``.
- ``ocpi_request_required = False``: the body of POST/PUT/PATCH may be left out.
- ``functional_module`` (set by ``FunctionalApi``): the ``OCPI-from-*``/``OCPI-to-*`` headers.

A declaration is a wire model class, ``[declaration]`` for a list that is not paginated, ``None`` for
"nothing", or a dict keyed by OCPI version (``"2.2.1"``), by HTTP method (``"GET"``) or by the last path
parameter of the URL (``"evse_uid"``; ``None`` for a URL without one). Dicts may nest.
"""

from __future__ import annotations

import inspect
import re
from typing import Any

from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentRegistry
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from pydantic import BaseModel
from rest_framework.request import Request
from rest_framework.versioning import URLPathVersioning

from ocpi_hub.api.pagination import OcpiPagination
from ocpi_hub.api.versions import SUPPORTED_VERSIONS

# The component builders live in ``ocpi_hub.api.schema``, which imports drf-spectacular's views; those
# import this module (DEFAULT_SCHEMA_CLASS) while being defined, so the builders are imported on use.
Schema = dict[str, Any]


class OcpiPathVersioning(URLPathVersioning):
    """``request.version`` is the OCPI version in the URL (``<ocpiv:version>``, already checked by the
    converter; None on ``/ocpi/versions``). drf-spectacular uses it to publish one document per version,
    with the version written into the paths."""

    def determine_version(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return kwargs.get(self.version_param)


_MISSING: Any = object()
_BODY_METHODS = ("POST", "PUT", "PATCH")
_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
_VERSION_KEY = re.compile(r"\d+\.\d+(\.\d+)?")
_ACTIONS = {"GET": "retrieve", "POST": "create", "PUT": "update", "PATCH": "partial_update", "DELETE": "destroy"}
_VERBS = {"GET": "Get", "POST": "Post", "PUT": "Put", "PATCH": "Patch", "DELETE": "Delete"}
_INTERFACES = ("sender", "receiver")

SUCCESS = (
    "OCPI envelope; `status_code` 1000 on success. OCPI errors (2xxx client, 3xxx server, 4xxx hub) are "
    "answered with HTTP 200 as well, without `data` (see `StatusCode`)."
)
CREATED = "The object was stored for the first time (HTTP 200 when it was already known)."


def _header(name: str, description: str, *, schema: Schema | None = None, **kwargs: Any) -> OpenApiParameter:
    return OpenApiParameter(
        name=name,
        type=schema or {"type": "string"},
        location=OpenApiParameter.HEADER,
        description=description,
        **kwargs,
    )


_ID_HEADERS = [
    _header(
        "X-Request-ID",
        "Unique id of this request (printable ASCII, at most 100 characters). Optional: the hub creates "
        "one when it is missing or invalid. Echoed in the response.",
    ),
    _header(
        "X-Correlation-ID",
        "Id shared by all requests of one exchange; kept when the hub forwards the request. Optional: "
        "the hub creates one when it is missing or invalid. Echoed in the response.",
    ),
    _header("X-Request-ID", "This request's `X-Request-ID` (echoed or created).", response=True, required=True),
    _header("X-Correlation-ID", "This request's `X-Correlation-ID` (echoed or created).", response=True, required=True),
]
_ROUTING_HEADERS = [
    _header(
        f"OCPI-{direction}-{part}",
        f"{who} ({kind}). {note}",
        schema={"type": "string", "maxLength": length},
    )
    for direction, who, note in (
        ("from", "Sending party", "Must be one of the caller's own roles; derived from the token when absent."),
        ("to", "Receiving party", "Optional when the hub itself, or the object, determines the receiver."),
    )
    for part, kind, length in (("country-code", "CiString(2)", 2), ("party-id", "CiString(3)", 3))
]
_PAGE_HEADERS = [
    _header("Link", 'URL of the next page: `<url>; rel="next"` (absent on the last page).', response=[200]),
    _header(
        "X-Total-Count",
        "Number of objects matching the request (all pages). On every page (OCPI 1000); absent from an OCPI "
        "error answer (e.g. 2001 for a bad filter), which is HTTP 200 too.",
        schema={"type": "integer"},
        response=[200],
        required=False,
    ),
    _header(
        "X-Limit",
        "Maximum number of objects the hub returns per page. On every page (OCPI 1000); absent from an OCPI "
        "error answer.",
        schema={"type": "integer"},
        response=[200],
        required=False,
    ),
]

_LOCATION_HEADER = _header(
    "Location",
    "URL where the stored object can be read back; only when it was stored (not on an OCPI error answer, which "
    "is HTTP 200 too).",
    response=[200, 201],
    required=False,
)


def _ocpi_id(length: int, what: str) -> tuple[Schema, str]:
    return {"type": "string", "maxLength": length}, f"{what} (CiString({length}))."


_PATH_PARAMETERS: dict[str, tuple[Schema, str]] = {
    "country_code": _ocpi_id(2, "Country code of the party that owns the object"),
    "party_id": _ocpi_id(3, "Party id of the party that owns the object"),
    "location_id": _ocpi_id(36, "Location id"),
    "evse_uid": _ocpi_id(36, "EVSE uid"),
    "connector_id": _ocpi_id(36, "Connector id"),
    "tariff_id": _ocpi_id(36, "Tariff id"),
    "session_id": _ocpi_id(36, "Session id"),
    "cdr_id": _ocpi_id(39, "CDR id"),
    "token_uid": _ocpi_id(36, "Token uid"),
}
_PATH_PARAMETERS |= {"cc": _PATH_PARAMETERS["country_code"], "pid": _PATH_PARAMETERS["party_id"]}


def _key_kind(mapping: dict[Any, Any]) -> str | None:
    """What a declaration dict is keyed by: ``version``, ``method`` or ``path`` (parameter); None if mixed."""
    keys = list(mapping)
    if all(isinstance(key, str) and key.upper() in _METHODS for key in keys):
        return "method"
    if all(isinstance(key, str) and _VERSION_KEY.fullmatch(key) for key in keys):
        return "version"
    if all(key is None or (isinstance(key, str) and key.isidentifier()) for key in keys):
        return "path"
    return None


class OcpiAutoSchema(AutoSchema):
    """Describes an OCPI view for one OCPI version from its declarations (module docstring)."""

    registry: ComponentRegistry

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: ComponentRegistry
    ) -> Schema | None:
        from ocpi_hub.api.schema import error_response_ref, shared_ref

        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        operation["parameters"] = [
            shared_ref(registry, parameter) if parameter["in"] in ("header", "query") else parameter
            for parameter in operation.get("parameters", [])
        ]
        for response in operation["responses"].values():
            for name, header in response.get("headers", {}).items():
                response["headers"][name] = shared_ref(registry, header, name=name)
        codes = ["401", "404", "405"]
        if "requestBody" in operation:
            operation["requestBody"]["required"] = getattr(self.view, "ocpi_request_required", True)
            codes.insert(0, "400")
        for code in codes:
            operation["responses"][code] = error_response_ref(registry, code)
        return operation

    # --- which document the operation belongs to -------------------------------------------------------

    @property
    def api_version(self) -> str | None:
        return getattr(self.view.request, "version", None)

    def is_excluded(self) -> bool:
        if not self.path.startswith("/ocpi/"):
            return True  # admin and the docs themselves are not part of the OCPI API
        if self.api_version is None:
            warn(f"{self.path} is not an OcpiApi view (no OCPI version); left out of the OCPI documents")
            return True
        return self.api_version not in getattr(self.view, "ocpi_versions", SUPPORTED_VERSIONS)

    # --- naming ----------------------------------------------------------------------------------------

    def _path_variables(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    def _static_parts(self) -> list[str]:
        parts = self.path.split("/")[2:]  # below /ocpi/
        return [part for part in parts if part and part != self.api_version and not part.startswith("{")]

    def _module(self) -> str:
        return next((part for part in self._static_parts() if part not in _INTERFACES), "versions")

    def get_tags(self) -> list[str]:
        return [self._module()]

    def _action(self) -> str:
        return "list" if self.method == "GET" and self._is_list() else _ACTIONS[self.method]

    def get_operation_id(self) -> str:
        parts = self._static_parts() or ["version_details"]
        variables = self._path_variables()
        if variables:
            parts.append(f"by_{variables[-1]}")
        return "_".join([*parts, self._action()])

    def get_summary(self) -> str:
        verb = "List" if self._action() == "list" else _VERBS[self.method]
        what = self._module() if self._static_parts() else "version details"
        variables = self._path_variables()
        if variables:
            what += f" by {variables[-1]}"
        interface = next((part for part in self._static_parts() if part in _INTERFACES), None)
        return f"{verb} {what}" + (f" ({interface} interface)" if interface else "")

    def get_description(self) -> str:  # type: ignore[override] # drf-spectacular drops the arguments
        handler = getattr(self.view, self.method.lower(), None)
        doc = getattr(handler, "__doc__", None) or type(self.view).__dict__.get("__doc__") or ""
        notes = [inspect.cleandoc(doc)] if doc else []
        if self.method == "PATCH":
            notes.append("The body carries only the fields that change, plus `last_updated`.")
        if self._is_page():
            notes.append("Paginated: `offset`/`limit`/`date_from`/`date_to`; follow the `Link` header.")
        if getattr(self.view, "allow_registration_token", False):
            notes.append("Accepts the registration token (token A) as well as token C.")
        return "\n\n".join(notes)

    # --- parameters and headers ------------------------------------------------------------------------

    def _is_page(self) -> bool:
        return self.method == "GET" and bool(getattr(self.view, "ocpi_many", False)) and not self._path_variables()

    def get_override_parameters(self) -> list[Any]:
        parameters = [*super().get_override_parameters(), *_ID_HEADERS]
        if getattr(self.view, "functional_module", False):
            parameters += _ROUTING_HEADERS
        if self._is_page():
            parameters += [*self._page_parameters(), *_PAGE_HEADERS]
        if self._is_create():
            parameters.append(_LOCATION_HEADER)
        for name in self._path_variables():
            if name in _PATH_PARAMETERS:
                schema, description = _PATH_PARAMETERS[name]
                parameters.append(OpenApiParameter(name, schema, OpenApiParameter.PATH, description=description))
        return parameters

    def _page_parameters(self) -> list[OpenApiParameter]:
        return [
            OpenApiParameter(
                name=item["name"],
                type=item["schema"],
                location=OpenApiParameter.QUERY,
                required=False,
                description=item.get("description", ""),
            )
            for item in OcpiPagination().get_schema_operation_parameters(self.view)
        ]

    # --- request and response bodies -------------------------------------------------------------------

    def _pick(self, declaration: dict[Any, Any], attribute: str) -> Any:
        kind = _key_kind(declaration)
        if kind is None:
            warn(f'{self.method} {self.path}: "{attribute}" mixes versions, methods and path parameters as keys')
            return _MISSING
        variables = self._path_variables()
        if kind == "method":
            declaration = {key.upper(): value for key, value in declaration.items()}
        key = {"version": self.api_version, "method": self.method, "path": variables[-1] if variables else None}
        if key[kind] in declaration:
            return declaration[key[kind]]
        if kind != "method":
            warn(f'{self.method} {self.path}: "{attribute}" has no entry for {key[kind]!r}')
        return _MISSING

    def _resolve(self, declaration: Any, attribute: str) -> Any:
        """What a declaration says for this operation: a model, a one-item list, None or _MISSING."""
        while isinstance(declaration, dict):
            declaration = self._pick(declaration, attribute)
        if isinstance(declaration, list) and len(declaration) == 1:
            item = self._resolve(declaration[0], attribute)
            return item if item is None or item is _MISSING else [item]
        return declaration

    def _declaration(self, attribute: str) -> Any:
        """``_resolve`` of the view's attribute, once per operation (it may warn)."""
        memo: dict[tuple[str, str, str], Any] = self.__dict__.setdefault("_ocpi_declarations", {})
        key = (attribute, self.method, self.path)
        if key not in memo:
            memo[key] = self._resolve(getattr(self.view, attribute, _MISSING), attribute)
        return memo[key]

    def _response_declaration(self) -> Any:
        declaration = getattr(self.view, "ocpi_response", _MISSING)
        if self.method == "DELETE" and not (isinstance(declaration, dict) and _key_kind(declaration) == "method"):
            return _MISSING  # OCPI DELETEs answer without data
        return self._declaration("ocpi_response")

    def _is_list(self) -> bool:
        return self._is_page() or isinstance(self._response_declaration(), list)

    def _data(self, declaration: Any, attribute: str, *, partial: bool = False) -> Schema | None:
        from ocpi_hub.api.schema import model_ref

        if declaration is None or declaration is _MISSING:
            return None
        if isinstance(declaration, list):
            items = self._data(declaration[0], attribute, partial=partial)
            return None if items is None else {"type": "array", "items": items}
        if isinstance(declaration, type) and issubclass(declaration, BaseModel):
            return model_ref(self.registry, declaration, str(self.api_version), partial=partial)
        warn(
            f'{self.method} {self.path}: "{attribute}" = {declaration!r} is not a pydantic model, '
            "[model], None or a dict keyed by version, method or path parameter"
        )
        return None

    def get_request_serializer(self) -> Any:
        if self.method not in _BODY_METHODS:
            return None
        declaration = self._declaration("ocpi_request")
        if declaration is _MISSING:
            warn(f'{self.method} {self.path}: no "ocpi_request" declared (use None for a body-less request)')
        body = self._data(declaration, "ocpi_request", partial=self.method == "PATCH")
        return None if body is None else {"application/json": body}

    def get_response_serializers(self) -> Any:
        from ocpi_hub.api.schema import envelope_ref

        declaration = self._response_declaration()
        if declaration is _MISSING and self.method == "GET":
            warn(f'{self.method} {self.path}: no "ocpi_response" declared')
        data = self._data(declaration, "ocpi_response")
        if data is not None and self._is_page():
            data = {"type": "array", "items": data}
        envelope = envelope_ref(self.registry, data)
        responses = {"200": OpenApiResponse(response=envelope, description=SUCCESS)}
        if self._is_create():
            responses = {"201": OpenApiResponse(response=envelope, description=CREATED), **responses}
        return responses

    def _is_create(self) -> bool:
        return self.method == "POST" and bool(getattr(self.view, "ocpi_created", False))
