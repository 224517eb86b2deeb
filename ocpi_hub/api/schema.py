"""OpenAPI (drf-spectacular): one schema per OCPI version, envelope and headers described.

This module holds the building blocks; ``ocpi_hub.api.autoschema.OcpiAutoSchema`` puts them together for
each operation from the views' declarations (``ocpi_request``, ``ocpi_response``, ``ocpi_many``; see
``docs/api-guide.md``).

- Wire models (pydantic v2) become components named per OCPI version: ``Location221`` in the 2.2.1
  document is ``Location_2_2_1`` (a trailing ``221``/``230`` is replaced by the version). Their nested
  models and enums become components too (enums as ``<Owner><Field>_<version>``). The JSON Schema of
  pydantic is turned into OpenAPI 3.0: no titles, no ``null`` branches (the hub omits absent fields;
  it accepts ``null`` inbound as "absent"), ``const`` as a one-value ``enum``.
- Every 2xx body is an envelope component (``<Model>Envelope_<version>``, ``<Model>ListEnvelope_<version>``
  or the data-less ``Envelope``); the shared error answers (400/401/404/405) are response components.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.urls import path
from drf_spectacular.drainage import warn
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import ComponentIdentity, ComponentRegistry, ResolvedComponent
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from pydantic import BaseModel
from rest_framework.permissions import AllowAny

from ocpi_hub.api.versions import SUPPORTED_VERSIONS

Schema = dict[str, Any]


class OcpiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "ocpi_hub.api.authentication.OcpiTokenAuthentication"
    name = "OcpiToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Token <base64 of the credentials token>`. Token A (registration) is accepted by the "
                "versions and credentials endpoints only; every other endpoint needs token C."
            ),
        }


# --- component names ------------------------------------------------------------------------------------


def version_slug(version: str) -> str:
    """``2.2.1`` -> ``2_2_1`` (the suffix of every version-specific component name)."""
    return version.replace(".", "_")


def component_name(model_name: str, version: str) -> str:
    """``Location221`` -> ``Location_2_2_1`` in the 2.2.1 document; ``DisplayText`` -> ``DisplayText_2_2_1``."""
    digits = version.replace(".", "")
    if model_name.endswith(digits) and len(model_name) > len(digits):
        model_name = model_name[: -len(digits)]
    return f"{model_name}_{version_slug(version)}"


def _camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[_\W]+", name) if part)


def _register(registry: ComponentRegistry, name: str, schema: Schema, kind: str = ResolvedComponent.SCHEMA) -> Schema:
    """Register a component (same name + different content -> drf-spectacular's collision warning)."""
    identity = ComponentIdentity(json.dumps(schema, sort_keys=True))
    component = ResolvedComponent(name=name, type=kind, schema=schema, object=identity)
    registry.register_on_missing(component)
    return component.ref


# --- pydantic JSON Schema -> OpenAPI 3.0 components -------------------------------------------------------

_SCHEMA_MAPS = ("properties", "patternProperties")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties", "not")
_NULL = {"type": "null"}


class _Converter:
    """Converts the JSON Schema of one wire model (and its ``$defs``) into registered components."""

    def __init__(self, registry: ComponentRegistry, version: str, names: dict[str, str]):
        self.registry, self.version, self.names = registry, version, names

    def component(self, name: str, schema: Schema, *, owner: str | None = None) -> Schema:
        """Register ``schema`` as ``name``; its inline enums are named after ``owner`` (default: itself)."""
        owner = owner or name.removesuffix(f"_{version_slug(self.version)}")
        return _register(self.registry, name, self.schema(schema, owner))

    def schema(self, node: Schema, owner: str) -> Schema:
        node = _without_null(node)
        out: Schema = {}
        for key, value in node.items():
            if key in _SCHEMA_MAPS:
                out[key] = {name: self.property(name, item, owner) for name, item in value.items()}
            elif key in _SCHEMA_LISTS:
                out[key] = [self.schema(item, owner) for item in value]
            elif key in _SCHEMA_VALUES and isinstance(value, dict):
                out[key] = self.schema(value, owner)
            else:
                out.update(self.keyword(key, value))
        return _ref_alone(out)

    def keyword(self, key: str, value: Any) -> Schema:
        if key == "title" or (key == "default" and value is None):
            return {}
        if key == "$ref":
            return {"$ref": f"#/components/schemas/{self.names[value.rsplit('/', 1)[-1]]}"}
        if key == "const":
            return {"enum": [value]}
        if key == "discriminator" and isinstance(value, dict) and "mapping" in value:
            mapping = {tag: self.keyword("$ref", ref)["$ref"] for tag, ref in value["mapping"].items()}
            return {key: {**value, "mapping": mapping}}
        if key == "examples" and isinstance(value, list):
            return {"example": value[0]} if value else {}
        if key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            return {key.replace("exclusiveM", "m"): value, key: True}
        return {key: value}

    def property(self, name: str, node: Schema, owner: str) -> Schema:
        """A field; an inline enum (also of a list's items) becomes the component ``<Owner><Field>``."""
        prop = self.schema(node, owner)
        enum_name = f"{owner}{_camel(name)}_{version_slug(self.version)}"
        if "enum" in prop:
            return self._enum_ref(prop, enum_name)
        items = prop.get("items")
        if isinstance(items, dict) and "enum" in items:
            return {**prop, "items": self._enum_ref(items, enum_name)}
        return prop

    def _enum_ref(self, prop: Schema, name: str) -> Schema:
        enum: Schema = {key: prop[key] for key in ("type", "enum") if key in prop}
        rest = {key: value for key, value in prop.items() if key not in enum}
        return _ref_alone({**_register(self.registry, name, enum), **rest})


def _without_null(node: Schema) -> Schema:
    """``anyOf: [X, {type: null}]`` -> ``X`` (optional fields are omitted, never sent as null)."""
    branches = node.get("anyOf")
    if not isinstance(branches, list) or _NULL not in branches:
        return node
    rest = {key: value for key, value in node.items() if key != "anyOf" and not (key == "default" and value is None)}
    kept = [branch for branch in branches if branch != _NULL]
    if len(kept) > 1:
        return {**rest, "anyOf": kept}
    return {**kept[0], **rest}


def _ref_alone(node: Schema) -> Schema:
    """OpenAPI 3.0 ignores the siblings of ``$ref``: wrap the reference in ``allOf`` when it has any."""
    if "$ref" in node and len(node) > 1:
        rest = {key: value for key, value in node.items() if key != "$ref"}
        return {"allOf": [{"$ref": node["$ref"]}], **rest}
    return node


def model_ref(registry: ComponentRegistry, model: type[BaseModel], version: str, *, partial: bool = False) -> Schema:
    """``$ref`` to the component of a wire model in ``version`` (registering it and all it uses).

    ``partial`` (PATCH bodies): the ``<Model>Patch_<version>`` component, where only ``last_updated`` (when
    the model has it) stays required.
    """
    schema = model.model_json_schema(mode="validation")
    defs: dict[str, Schema] = schema.pop("$defs", {})
    top = schema.get("$ref", "").rsplit("/", 1)[-1]
    if top:  # a self-referencing model: pydantic puts the model itself into $defs
        schema = defs[top]
    names = {key: component_name(key, version) for key in defs}
    converter = _Converter(registry, version, names)
    for key, sub_schema in sorted(defs.items()):
        converter.component(names[key], sub_schema)
    name = component_name(model.__name__, version)
    if not partial:
        return converter.component(name, schema)
    patch = {key: value for key, value in schema.items() if key != "required"}
    if "last_updated" in patch.get("properties", {}):
        patch["required"] = ["last_updated"]
    base = name.removesuffix(f"_{version_slug(version)}")
    return converter.component(f"{base}Patch_{version_slug(version)}", patch, owner=base)


# --- the envelope and the shared error answers ------------------------------------------------------------

STATUS_CODES = """OCPI status code of the answer.

* 1000: success (`data` carries the result, when the endpoint returns data)
* 2000: generic client error; 2001: invalid or missing parameters (also a DateTime with a non-UTC
  offset); 2002: not enough information; 2003: unknown Location; 2004: unknown Token
* 3000: generic server error; 3001: unable to use the client's API; 3002: unsupported version;
  3003: no matching endpoints or expected endpoints missing
* 4000: generic hub error; 4001: unknown receiver; 4002: timeout on forwarded request;
  4003: connection problem: the receiving party is not connected

OCPI errors (2xxx, 3xxx, 4xxx) are answered with HTTP 200 unless the HTTP error codes say otherwise
(400 unparsable body, 401 token, 404 unknown object or URL, 405 method)."""


def _envelope_schema(registry: ComponentRegistry, data: Schema | None) -> Schema:
    status_code = _register(
        registry, "StatusCode", {"type": "integer", "minimum": 1000, "maximum": 4999, "description": STATUS_CODES}
    )
    properties: Schema = {} if data is None else {"data": data}
    properties |= {
        "status_code": status_code,
        "status_message": {"type": "string", "description": "Human-readable detail (errors name the field)."},
        "timestamp": {"type": "string", "format": "date-time", "description": "When the hub answered (UTC, `Z`)."},
    }
    return {"type": "object", "required": ["status_code", "timestamp"], "properties": properties}


def envelope_ref(registry: ComponentRegistry, data: Schema | None) -> Schema:
    """The envelope around ``data`` (a ``$ref``, an array of ``$ref`` or None), as a component."""
    if data is None:
        return _register(registry, "Envelope", _envelope_schema(registry, None))
    target = data.get("items", data).get("$ref", "")
    match = re.fullmatch(r"#/components/schemas/(.+?)(_\d+_\d+_\d+)?", target)
    if match is None:
        warn(f"the OCPI data schema {data} is not a component; its envelope is inlined")
        return _envelope_schema(registry, data)
    kind = "ListEnvelope" if data.get("type") == "array" else "Envelope"
    return _register(registry, f"{match.group(1)}{kind}{match.group(2) or ''}", _envelope_schema(registry, data))


def shared_ref(registry: ComponentRegistry, item: Schema, *, name: str | None = None) -> Schema:
    """A header or query parameter (or, with ``name``, a response header) as a component."""
    if name is None:
        return _register(registry, item["name"], item, ResolvedComponent.PARAMETER)
    return _register(registry, name, item, ResolvedComponent.HEADER)


ID_HEADERS = ("X-Request-ID", "X-Correlation-ID")
ERROR_RESPONSES: dict[str, tuple[str, str]] = {
    "400": ("BadRequest", "The body is not valid JSON (`status_code` 2000)."),
    "401": ("Unauthorized", "Missing, unknown or revoked token, or token A on an endpoint that needs token C."),
    "404": ("NotFound", "Unknown object or URL (`status_code` 2000)."),
    "405": ("MethodNotAllowed", "The endpoint does not support this HTTP method (`status_code` 2000)."),
}


def error_response_ref(registry: ComponentRegistry, http_status: str) -> Schema:
    name, description = ERROR_RESPONSES[http_status]
    # registered by every operation's 200 answer (OcpiAutoSchema.get_operation)
    headers: Schema = {header: {"$ref": f"#/components/headers/{header}"} for header in ID_HEADERS}
    if http_status == "401":
        headers["WWW-Authenticate"] = {"schema": {"type": "string", "enum": ["Token"]}}
    response = {
        "description": description,
        "headers": headers,
        "content": {"application/json": {"schema": envelope_ref(registry, None)}},
    }
    return _register(registry, name, response, ResolvedComponent.RESPONSE)


# --- URLs: the schema of each version, with ReDoc and Swagger UI -------------------------------------------

_PUBLIC = {"authentication_classes": [], "permission_classes": [AllowAny]}

schema_urlpatterns = []
for _version in SUPPORTED_VERSIONS:
    _slug = _version.replace(".", "")
    schema_urlpatterns += [
        path(
            f"api/schema/{_version}",
            SpectacularAPIView.as_view(api_version=_version, **_PUBLIC),
            name=f"schema-{_slug}",
        ),
        path(
            f"api/docs/{_version}",
            SpectacularRedocView.as_view(url_name=f"schema-{_slug}", **_PUBLIC),
            name=f"docs-{_slug}",
        ),
        path(
            f"api/docs/{_version}/swagger",
            SpectacularSwaggerView.as_view(url_name=f"schema-{_slug}", **_PUBLIC),
            name=f"swagger-{_slug}",
        ),
    ]
