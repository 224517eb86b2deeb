"""OpenAPI: the committed documents are current and valid, the schema and docs are served, and the views'
declarations (``ocpi_request``, ``ocpi_response``, ``ocpi_many``, ...) become the documented operations."""

from __future__ import annotations

from typing import Literal
from unittest import mock

import pytest
from django.urls import path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema
from pydantic import create_model
from rest_framework.request import Request
from rest_framework.response import Response

import ocpi_hub.urls  # noqa: F401 - registers the ocpiv path converter used by the test URLs below
from ocpi_hub.api import autoschema
from ocpi_hub.api.envelope import ocpi_response
from ocpi_hub.api.versions import SUPPORTED_VERSIONS
from ocpi_hub.api.views import FunctionalApi, OcpiApi
from ocpi_hub.api.wire import DateTime, WireModel
from ocpi_hub.management.commands.ocpi_openapi import document_path

VERSIONS = sorted(SUPPORTED_VERSIONS)
ID_HEADERS = ("X-Request-ID", "X-Correlation-ID")
PAGE_PARAMETERS = ("offset", "limit", "date_from", "date_to")


def generate(version: str, patterns: list | None = None) -> tuple[dict, list[str]]:
    """The document as ``manage.py spectacular --api-version`` builds it, and the warnings it gave."""
    schema = SchemaGenerator(api_version=version, patterns=patterns).get_schema(request=None, public=True)
    return schema, sorted(GENERATOR_STATS._warn_cache)


def render(schema: dict) -> bytes:
    return OpenApiYamlRenderer().render(schema, renderer_context={})


def slug(version: str) -> str:
    return version.replace(".", "_")


def operations(schema: dict) -> list[tuple[str, str, dict]]:
    return [(url, method, op) for url, item in schema["paths"].items() for method, op in item.items()]


def ref_name(ref: dict) -> str:
    return ref["$ref"].rsplit("/", 1)[-1]


def ok_schema(operation: dict, code: str = "200") -> str:
    return ref_name(operation["responses"][code]["content"]["application/json"]["schema"])


def parameter_names(operation: dict) -> set[str]:
    return {ref_name(p) if "$ref" in p else p["name"] for p in operation.get("parameters", [])}


@pytest.fixture(scope="module")
def documents() -> dict[str, tuple[dict, list[str]]]:
    return {version: generate(version) for version in VERSIONS}


# --- the committed documents -------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_committed_document_is_current(documents, version):
    target = document_path(version)
    assert target.exists(), f"{target.name} is missing: run `make openapi` (or `python manage.py ocpi_openapi`)"
    is_current = target.read_bytes() == render(documents[version][0])
    assert is_current, (
        f"docs/openapi/{target.name} is stale (the API changed): regenerate it with `make openapi` "
        "(or `python manage.py ocpi_openapi`) and commit the result"
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_document_is_valid_openapi(documents, version):
    validate_schema(documents[version][0])


@pytest.mark.parametrize("version", VERSIONS)
def test_every_view_is_described(documents, version):
    warnings = documents[version][1]
    assert not warnings, "declare the models of these views (docs/api-guide.md, 'Describing a view'):\n" + "\n".join(
        warnings
    )


# --- served schema and docs --------------------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_schema_and_docs_are_served_without_a_token(client, db, version):
    schema = client.get(f"/api/schema/{version}")
    assert schema.status_code == 200
    assert f"/ocpi/{version}/credentials:".encode() in schema.content

    as_json = client.get(f"/api/schema/{version}", {"format": "json"})
    assert as_json.status_code == 200
    assert f"/ocpi/{version}/credentials" in as_json.json()["paths"]

    for page in (f"/api/docs/{version}", f"/api/docs/{version}/swagger"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert f"/api/schema/{version}".encode() in response.content


# --- structure of the real documents -----------------------------------------------------------------------


@pytest.mark.parametrize("version", VERSIONS)
def test_paths_carry_the_concrete_version_and_only_ocpi(documents, version):
    paths = list(documents[version][0]["paths"])
    assert "/ocpi/versions" in paths
    assert f"/ocpi/{version}" in paths
    assert f"/ocpi/{version}/credentials" in paths
    assert f"/ocpi/{version}/sender/hubclientinfo" in paths
    assert all(url == "/ocpi/versions" or url.startswith(f"/ocpi/{version}") for url in paths)
    assert not any("{version}" in url for url in paths)
    for _, _, operation in operations(documents[version][0]):
        assert "version" not in parameter_names(operation)


@pytest.mark.parametrize("version", VERSIONS)
def test_token_security_on_every_operation(documents, version):
    schema = documents[version][0]
    assert schema["components"]["securitySchemes"]["OcpiToken"] | {"description": ""} == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "",
    }
    assert all(op["security"] == [{"OcpiToken": []}] for _, _, op in operations(schema))


@pytest.mark.parametrize("version", VERSIONS)
def test_every_operation_has_ids_envelope_and_shared_errors(documents, version):
    schema = documents[version][0]
    for url, method, operation in operations(schema):
        assert set(ID_HEADERS) <= parameter_names(operation), (url, method)
        ok = operation["responses"]["200"]
        assert set(ID_HEADERS) <= set(ok["headers"]), (url, method)
        envelope = schema["components"]["schemas"][ok_schema(operation)]
        assert {"status_code", "timestamp"} <= set(envelope["required"]), (url, method)
        for code in ("401", "404", "405"):
            assert "$ref" in operation["responses"][code], (url, method, code)
        assert ("400" in operation["responses"]) == ("requestBody" in operation), (url, method)
    unauthorized = schema["components"]["responses"]["Unauthorized"]
    assert set(ID_HEADERS) <= set(unauthorized["headers"])
    assert ref_name(unauthorized["content"]["application/json"]["schema"]) == "Envelope"


@pytest.mark.parametrize("version", VERSIONS)
def test_configuration_modules(documents, version):
    schema = documents[version][0]
    components = schema["components"]["schemas"]
    credentials = schema["paths"][f"/ocpi/{version}/credentials"]
    assert ok_schema(credentials["get"]) == f"CredentialsEnvelope_{slug(version)}"
    assert ref_name(components[f"CredentialsEnvelope_{slug(version)}"]["properties"]["data"]) == (
        f"Credentials_{slug(version)}"
    )
    for method in ("post", "put"):
        body = credentials[method]["requestBody"]
        assert body["required"] is True
        assert ref_name(body["content"]["application/json"]["schema"]) == f"Credentials_{slug(version)}"
    assert ok_schema(credentials["delete"]) == "Envelope"
    assert ("hub_party_id" in components[f"Credentials_{slug(version)}"]["properties"]) == (version == "2.3.0")

    versions = schema["paths"]["/ocpi/versions"]["get"]
    data = components[ok_schema(versions)]["properties"]["data"]
    assert data["type"] == "array"
    assert ref_name(data["items"]) == f"Version_{slug(version)}"
    assert "Accepts the registration token" in versions["description"]

    client_info = schema["paths"][f"/ocpi/{version}/sender/hubclientinfo"]["get"]
    assert ok_schema(client_info) == f"ClientInfoListEnvelope_{slug(version)}"
    assert set(PAGE_PARAMETERS) <= parameter_names(client_info)
    assert {"Link", "X-Total-Count", "X-Limit"} <= set(client_info["responses"]["200"]["headers"])
    assert "OCPI-from-country-code" not in parameter_names(client_info)  # configuration modules are not routed


# --- the declaration mechanism, on views of this test ------------------------------------------------------


class Widget221(WireModel):
    id: str
    status: Literal["ON", "OFF"]
    note: str | None = None
    last_updated: DateTime


class Widget230(Widget221):
    colour: str | None = None


class Part221(WireModel):
    uid: str


WIDGETS = {"2.2.1": Widget221, "2.3.0": Widget230}
BY_PATH = {"widget_id": WIDGETS, "part_uid": Part221}


class WidgetReceiverApi(FunctionalApi):
    """A receiver interface serving two URL shapes."""

    ocpi_request = BY_PATH
    ocpi_response = {"GET": BY_PATH}

    def get(self, request: Request, version: str, **ids: str) -> Response:
        return ocpi_response()

    def put(self, request: Request, version: str, **ids: str) -> Response:
        return ocpi_response()

    def patch(self, request: Request, version: str, **ids: str) -> Response:
        return ocpi_response()

    def delete(self, request: Request, version: str, **ids: str) -> Response:
        return ocpi_response()


class WidgetSenderListApi(FunctionalApi):
    ocpi_response = WIDGETS
    ocpi_many = True
    ocpi_versions = ("2.3.0",)

    def get(self, request: Request, version: str) -> Response:
        return ocpi_response()


class PartPostApi(FunctionalApi):
    ocpi_request = Part221
    ocpi_created = True

    def post(self, request: Request, version: str) -> Response:
        return ocpi_response()


class UndeclaredApi(OcpiApi):
    def get(self, request: Request, version: str) -> Response:
        return ocpi_response()

    def put(self, request: Request, version: str) -> Response:
        return ocpi_response()


WIDGET = "ocpi/<ocpiv:version>/receiver/widgets/<str:country_code>/<str:party_id>/<str:widget_id>"
TEST_URLS = [
    path(WIDGET, WidgetReceiverApi.as_view()),
    path(f"{WIDGET}/<str:part_uid>", WidgetReceiverApi.as_view()),
    path("ocpi/<ocpiv:version>/sender/widgets", WidgetSenderListApi.as_view()),
    path("ocpi/<ocpiv:version>/receiver/parts", PartPostApi.as_view()),
]
RECEIVER = "/ocpi/{v}/receiver/widgets/{{country_code}}/{{party_id}}/{{widget_id}}"


def _body(operation: dict) -> str:
    return ref_name(operation["requestBody"]["content"]["application/json"]["schema"])


def test_declarations_by_version_method_and_path_parameter():
    schema, warnings = generate("2.2.1", TEST_URLS)
    assert warnings == []
    validate_schema(schema)
    widget = schema["paths"][RECEIVER.format(v="2.2.1")]
    part = schema["paths"][RECEIVER.format(v="2.2.1") + "/{part_uid}"]
    assert ok_schema(widget["get"]) == "WidgetEnvelope_2_2_1"
    assert ok_schema(part["get"]) == "PartEnvelope_2_2_1"
    assert _body(widget["put"]) == "Widget_2_2_1"
    assert _body(part["put"]) == "Part_2_2_1"
    assert _body(widget["patch"]) == "WidgetPatch_2_2_1"
    assert [ok_schema(widget[method]) for method in ("put", "patch", "delete")] == ["Envelope"] * 3
    assert widget["get"]["operationId"] == "receiver_widgets_by_widget_id_retrieve"
    assert widget["get"]["tags"] == ["widgets"]
    assert {"OCPI-from-country-code", "OCPI-to-party-id"} <= parameter_names(widget["get"])
    assert "/ocpi/2.2.1/sender/widgets" not in schema["paths"]  # ocpi_versions = ("2.3.0",)


def test_models_become_openapi_components():
    schema, _ = generate("2.2.1", TEST_URLS)
    components = schema["components"]["schemas"]
    widget = components["Widget_2_2_1"]
    assert widget["required"] == ["id", "status", "last_updated"]
    assert widget["properties"]["note"] == {"type": "string"}  # optional: omitted, never null
    assert ref_name(widget["properties"]["status"]) == "WidgetStatus_2_2_1"
    assert components["WidgetStatus_2_2_1"] == {"type": "string", "enum": ["ON", "OFF"]}
    assert components["WidgetPatch_2_2_1"]["required"] == ["last_updated"]
    assert "title" not in widget


def test_paginated_list_and_created():
    schema, warnings = generate("2.3.0", TEST_URLS)
    assert warnings == []
    listing = schema["paths"]["/ocpi/2.3.0/sender/widgets"]["get"]
    assert listing["operationId"] == "sender_widgets_list"
    assert ok_schema(listing) == "WidgetListEnvelope_2_3_0"
    assert "colour" in schema["components"]["schemas"]["Widget_2_3_0"]["properties"]
    assert set(PAGE_PARAMETERS) <= parameter_names(listing)
    assert {"Link", "X-Total-Count", "X-Limit"} <= set(listing["responses"]["200"]["headers"])
    post = schema["paths"]["/ocpi/2.3.0/receiver/parts"]["post"]
    assert {"200", "201"} <= set(post["responses"])
    assert all("Location" in post["responses"][code]["headers"] for code in ("200", "201"))


def test_undeclared_views_warn():
    urls = [path("ocpi/<ocpiv:version>/undeclared", UndeclaredApi.as_view())]
    with mock.patch.object(autoschema, "warn") as warn:
        generate("2.2.1", urls)
    messages = [call.args[0] for call in warn.call_args_list]
    assert any('GET /ocpi/2.2.1/undeclared: no "ocpi_response"' in message for message in messages)
    assert any('PUT /ocpi/2.2.1/undeclared: no "ocpi_request"' in message for message in messages)


def test_two_models_with_one_name_warn():
    other = create_model("Part221", __base__=WireModel, serial=(int, ...))

    class OtherPartPostApi(PartPostApi):
        ocpi_request = other

    urls = [*TEST_URLS, path("ocpi/<ocpiv:version>/receiver/other-parts", OtherPartPostApi.as_view())]
    _, warnings = generate("2.2.1", urls)
    assert any('identical names "Part_2_2_1"' in warning for warning in warnings)
