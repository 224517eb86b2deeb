"""Test utility: validate outbound payloads against the official OCPI OpenAPI description.

The OpenAPI YAML lives outside the project (``../shared/ocpi/openapi``, or ``$OCPI_SHARED_DIR``); tests
that use it must be marked with ``requires_openapi`` so they skip cleanly when the folder is absent.

Choices made here:
- YAML is loaded with ``true``/``false`` as the only booleans (plain PyYAML would turn the ``TaxIncluded``
  values ``YES``/``NO`` into booleans).
- ``format: date-time`` is checked as RFC 3339 in UTC with a ``Z`` suffix (the hub's outbound rule);
  ``format: uri`` needs a scheme and no whitespace. Other formats (``open-enum``, ``enum``, ``uuid``) are
  ignored.
- ``enum`` is enforced also for OpenEnums unless ``strict_enums=False`` is passed.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

_ALIASES = {"hubclientinfo": "clientinfo"}
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")
_MAX_ERRORS = 10


def shared_ocpi_dir() -> Path:
    """The ``ocpi`` folder of the shared reference material (may not exist)."""
    env = os.environ.get("OCPI_SHARED_DIR")
    base = Path(env) if env else Path(__file__).resolve().parents[2] / "shared"
    return base if (base / "openapi").is_dir() else base / "ocpi"


OPENAPI_DIR = shared_ocpi_dir() / "openapi"
EXAMPLES_DIR = shared_ocpi_dir() / "examples"
SHARED_OPENAPI_AVAILABLE: bool = OPENAPI_DIR.is_dir()
SHARED_EXAMPLES_AVAILABLE: bool = EXAMPLES_DIR.is_dir()

# Tests that read the official OpenAPI files or examples: skipped with the reason when ../shared lacks them,
# failed instead with OCPI_HUB_REQUIRE_SHARED=1 (.ci/run sets it). The fixtures are in the root conftest.py.
requires_openapi = pytest.mark.usefixtures("needs_shared_openapi")
requires_examples = pytest.mark.usefixtures("needs_shared_examples")
REQUIRE_SHARED = os.environ.get("OCPI_HUB_REQUIRE_SHARED") == "1"


def need_shared(available: bool, what: str) -> None:
    """Skip the running test, stating what of the shared reference material is missing; with
    OCPI_HUB_REQUIRE_SHARED=1, fail it instead (CI must not silently run fewer tests)."""
    if available:
        return
    reason = f"{what} not present (../shared next to the project, or $OCPI_SHARED_DIR)"
    if REQUIRE_SHARED:
        pytest.fail(f"required reference material missing: {reason}; OCPI_HUB_REQUIRE_SHARED=1")
    pytest.skip(reason)


def example_path(version: str, filename: str) -> Path | None:
    """Path of an official example payload, or None when it (or the shared folder) is missing."""
    path = EXAMPLES_DIR / version / filename
    return path if path.is_file() else None


def example_names(version: str, pattern: str) -> list[str]:
    """Sorted file names of the official examples of a version matching a glob pattern ([] if absent)."""
    folder = EXAMPLES_DIR / version
    return sorted(path.name for path in folder.glob(pattern)) if folder.is_dir() else []


# --- YAML loading ------------------------------------------------------------------------------------------


class _OpenApiLoader(yaml.SafeLoader):
    """SafeLoader whose only booleans are true/false (YAML 1.2 style)."""


_OpenApiLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_OpenApiLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_OpenApiLoader)  # noqa: S506 - SafeLoader subclass


def _open_enums(node: Any) -> Any:
    """Copy of a schema tree without ``enum`` on ``format: open-enum`` strings."""
    if isinstance(node, list):
        return [_open_enums(item) for item in node]
    if not isinstance(node, dict):
        return node
    is_open = node.get("format") == "open-enum"
    return {key: _open_enums(value) for key, value in node.items() if not (is_open and key == "enum")}


def _version_dir(version: str) -> Path:
    folder = OPENAPI_DIR / version
    if not folder.is_dir():
        raise AssertionError(f"no official OpenAPI for OCPI version {version!r} in {OPENAPI_DIR}")
    return folder


def _schema_files(version: str) -> list[Path]:
    folder = _version_dir(version)
    return [folder / "components" / "schema.yaml", *sorted(folder.glob("modules/*/schema.yaml"))]


@cache
def _registry(version: str, strict_enums: bool) -> Registry:
    resources = []
    for path in sorted(_version_dir(version).rglob("*.yaml")):
        contents = _load_yaml(path)
        if not strict_enums:
            contents = _open_enums(contents)
        resources.append((path.as_uri(), DRAFT202012.create_resource(contents)))
    return Registry().with_resources(resources).crawl()


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-./]", "", name).lower()


@cache
def component_index(version: str) -> dict[str, tuple[str, str]]:
    """``normalised name -> (file URI, component name)`` of all schemas of a version (first file wins)."""
    index: dict[str, tuple[str, str]] = {}
    for path in _schema_files(version):
        schemas = (_load_yaml(path).get("components") or {}).get("schemas") or {}
        module = path.parent.name
        for name in schemas:
            index.setdefault(_normalise(name), (path.as_uri(), name))
            index.setdefault(_normalise(f"{module}{name}"), (path.as_uri(), name))
    return index


def component_names(version: str) -> list[str]:
    """The official component (schema) names of a version."""
    return sorted({name for _, name in component_index(version).values()})


def _find_component(version: str, schema_name: str) -> tuple[str, str]:
    key = _normalise(schema_name)
    index = component_index(version)
    found = index.get(_ALIASES.get(key, key))
    if found is None:
        raise AssertionError(
            f"unknown OCPI {version} component {schema_name!r}; known: {', '.join(component_names(version))}"
        )
    return found


# --- formats and validation --------------------------------------------------------------------------------


def _is_utc_datetime(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATETIME.match(value):
        return False
    try:
        datetime.fromisoformat(value[:19])
    except ValueError:
        return False
    return True


def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return bool(urlsplit(value).scheme) and not any(ch.isspace() for ch in value)


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checks("date-time")(_is_utc_datetime)
    checker.checks("uri")(_is_uri)
    return checker


@cache
def _validator(version: str, uri: str, name: str, strict_enums: bool) -> Draft202012Validator:
    schema = {"$ref": f"{uri}#/components/schemas/{name}"}
    return Draft202012Validator(schema, registry=_registry(version, strict_enums), format_checker=_format_checker())


def _error_path(error: ValidationError) -> str:
    text = ""
    for part in error.absolute_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(root)"


def _describe(errors: list[ValidationError]) -> str:
    lines = [f"  {_error_path(error)}: {error.message[:300]}" for error in errors[:_MAX_ERRORS]]
    if len(errors) > _MAX_ERRORS:
        lines.append(f"  (+{len(errors) - _MAX_ERRORS} more)")
    return "\n".join(lines)


def validate_object(version: str, schema_name: str, payload: Any, *, strict_enums: bool = True) -> None:
    """Validate ``payload`` against component ``schema_name`` of the official OpenAPI of ``version``.

    ``schema_name`` is matched case-insensitively, ignoring ``_``/``-`` (``"evse"``, ``"client_info"``,
    ``"versionDetails"``, ``"tariffs.PriceComponent"``). Raises AssertionError listing every problem with its
    path (``evses[0].connectors[1].max_voltage: 'abc' is not of type 'integer'``).
    """
    uri, name = _find_component(version, schema_name)
    validator = _validator(version, uri, name, strict_enums)
    errors = sorted(validator.iter_errors(payload), key=lambda error: list(map(str, error.absolute_path)))
    if errors:
        raise AssertionError(f"payload is not a valid OCPI {version} {name}:\n{_describe(errors)}")
