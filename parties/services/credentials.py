"""The Credentials module in both directions, and invitations.

Network calls to the other party never run inside a transaction: the party may call us back meanwhile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import TypeAdapter, ValidationError

from ocpi_hub.api import versions
from ocpi_hub.api.wire import format_validation_error
from ocpi_hub.exceptions import (
    InvalidParameters,
    MethodNotAllowed,
    NoMatchingEndpoints,
    UnableToUseClientApi,
    UnsupportedVersion,
)
from parties import client, policy, urlguard
from parties.models import ConnectionStatus, Endpoint, Platform, PlatformRole
from parties.services.clientinfo import client_info_changed
from parties.tokens import generate_token, hash_token
from parties.urlguard import url_is_refused
from parties.wire import CREDENTIALS, Version, VersionDetails

logger = logging.getLogger(__name__)
_version_list = TypeAdapter(list[Version])


def _event(event: str, platform: Platform) -> dict[str, Any]:
    """``extra`` of a platform event's log record (never a token)."""
    return {"event": event, "platform": platform.pk, "platform_name": platform.name, "version": platform.version}


@dataclass(frozen=True)
class PeerVersion:
    version: str
    versions_url: str
    endpoints: list[dict[str, str]]


def platform_invite(*, name: str, token_base64: bool = True) -> tuple[Platform, str]:
    """A PLANNED platform and its registration token A (shown once, stored as a hash)."""
    token = generate_token()
    platform = Platform.objects.create(
        name=name, token_in_hash=hash_token(token), token_in_is_registration=True, token_base64=token_base64
    )
    return platform, token


def platform_reinvite(*, platform: Platform) -> str:
    """A new token A for an existing platform (e.g. one that unregistered): its current token stops working."""
    token = generate_token()
    platform.token_in_hash = hash_token(token)
    platform.token_in_is_registration = True
    if platform.status == ConnectionStatus.SUSPENDED:
        platform.status = ConnectionStatus.PLANNED
    platform.save(update_fields=["token_in_hash", "token_in_is_registration", "status", "updated_at"])
    return token


# --- discovery --------------------------------------------------------------------------------------


def single_object(data: Any, what: str) -> Any:
    """Be liberal: a one-element list where an object is expected (seen from real peers) is that object."""
    if isinstance(data, list) and len(data) == 1 and isinstance(data[0], dict):
        logger.info("Peer answered its %s as a one-element list; read as the object", what)
        return data[0]
    return data


def _get(url: str, token: str, raw: bool, what: str, detailed: bool) -> Any:
    """GET one of the party's URLs. Only the hub's admin (``detailed``) is told what happened there: the party
    gets one message whether nothing listens or something answered, so the hub is no port scanner."""
    vague = f"Could not get a valid OCPI answer from your {what} at {url}"
    try:
        reply = client.call("GET", url, token=token, raw_token=raw)
    except client.TransportError as exc:
        logger.info("Discovery GET failed", extra={"url": url, "error": str(exc)})
        raise UnableToUseClientApi(f"Could not reach your {what} at {url}: {exc}" if detailed else vague) from None
    if not reply.ok:
        logger.info("Discovery GET refused", extra={"url": url, "http_status": reply.http_status})
        told = f"Your {what} at {url} answered HTTP {reply.http_status}, OCPI status {reply.status_code}"
        raise UnableToUseClientApi(told if detailed else vague)
    return reply.data


def _check_endpoint_urls(endpoints: list[dict[str, str]]) -> None:
    for index, item in enumerate(endpoints):
        if url_is_refused(item["url"]):
            raise UnableToUseClientApi(f"Your version details: endpoints[{index}].url is refused: {urlguard.REFUSAL}")


def discover(
    versions_url: str, token: str, *, raw: bool, version: str | None = None, detailed: bool = False
) -> PeerVersion:
    """GET the peer's versions and the details of the chosen version (2001/3001/3002/3003 on failure). The
    versions URL, the details URL and every endpoint URL must pass the SSRF guard (parties/urlguard.py)."""
    if url_is_refused(versions_url):
        raise InvalidParameters(f"url: {versions_url} is refused: {urlguard.REFUSAL}")
    try:
        offered = _version_list.validate_python(_get(versions_url, token, raw, "versions endpoint", detailed))
    except ValidationError as exc:
        raise UnableToUseClientApi(
            f"Your versions endpoint returned invalid data: {format_validation_error(exc)}"
        ) from None
    by_number = {item.version: item.url for item in offered}
    chosen = version or versions.pick_version(list(by_number))
    if chosen is None or chosen not in by_number:
        wanted = version or " or ".join(versions.SUPPORTED_VERSIONS)
        raise UnsupportedVersion(f"Your versions endpoint does not offer OCPI {wanted}")
    if url_is_refused(by_number[chosen]):
        raise UnableToUseClientApi(f"Your versions endpoint: version {chosen}'s URL is refused: {urlguard.REFUSAL}")
    try:
        details = VersionDetails.model_validate(
            single_object(_get(by_number[chosen], token, raw, "version details", detailed), "version details")
        )
    except ValidationError as exc:
        raise UnableToUseClientApi(f"Your version details are invalid: {format_validation_error(exc)}") from None
    endpoints = [endpoint.model_dump() for endpoint in details.endpoints]
    if not any(item["identifier"] == "credentials" for item in endpoints):
        raise NoMatchingEndpoints("Your version details list no credentials endpoint")
    _check_endpoint_urls(endpoints)
    return PeerVersion(version=chosen, versions_url=versions_url, endpoints=endpoints)


# --- the hub's own credentials ------------------------------------------------------------------------


def _hub_business_details() -> dict[str, Any]:
    details: dict[str, Any] = {"name": settings.OCPI_HUB_NAME}
    if settings.OCPI_HUB_WEBSITE:
        details["website"] = settings.OCPI_HUB_WEBSITE
    return details


def hub_credentials(*, version: str, token: str, for_platform: Platform | None) -> dict[str, Any]:
    """2.2.1: one HUB role. 2.3.0: the hub (as OTHER) plus every party reachable through it, and hub_party_id."""
    own: dict[str, Any] = {
        "country_code": settings.OCPI_HUB_COUNTRY_CODE,
        "party_id": settings.OCPI_HUB_PARTY_ID,
        "business_details": _hub_business_details(),
    }
    body: dict[str, Any] = {"token": token, "url": versions.versions_url()}
    if version == "2.2.1":
        body["roles"] = [{"role": "HUB", **own}]
        return body
    reachable = PlatformRole.objects.filter(platform__status=ConnectionStatus.CONNECTED).exclude(role="HUB")
    if for_platform is not None:
        reachable = reachable.exclude(platform=for_platform)
        agreed = policy.reachable(for_platform)  # routing policy "agreements": only the agreed parties
        if agreed is not None:
            reachable = reachable.filter(policy.party_in(agreed))
    body["hub_party_id"] = own["country_code"] + own["party_id"]
    body["roles"] = [{"role": "OTHER", **own}] + [
        {
            "role": r.role,
            "country_code": r.country_code,
            "party_id": r.party_id,
            "business_details": r.business_details or {"name": r.platform.name},
        }
        for r in reachable.select_related("platform")
    ]
    return body


# --- storing a connection -----------------------------------------------------------------------------


def _validate_credentials(version: str, payload: Any) -> Any:
    if not isinstance(payload, dict):
        raise InvalidParameters("body: a Credentials object is required")
    model: Any = CREDENTIALS[version]
    return model.model_validate(payload)


def _check_roles_free(platform: Platform, roles: list[Any]) -> None:
    """A (country_code, party_id) pair belongs to one platform whatever the role, unless an admin linked the
    platforms (Platform.linked_platforms); the same role is never held twice."""
    linked = set(platform.linked_platforms.values_list("pk", flat=True))
    for index, role in enumerate(roles):
        holders = PlatformRole.objects.filter(
            country_code=role.country_code.upper(), party_id=role.party_id.upper()
        ).exclude(platform=platform)
        for holder in holders:
            if holder.role == role.role or holder.platform_id not in linked:
                raise InvalidParameters(
                    f"roles[{index}]: {role.country_code}/{role.party_id} is registered by another platform"
                )


def _store_connection(platform: Platform, *, peer: PeerVersion, credentials: Any, token_in: str) -> None:
    platform.roles.all().delete()
    PlatformRole.objects.bulk_create(
        PlatformRole(
            platform=platform,
            role=role.role,
            country_code=role.country_code.upper(),
            party_id=role.party_id.upper(),
            business_details=role.business_details.model_dump(exclude_none=True),
        )
        for role in credentials.roles
    )
    platform.endpoints.all().delete()
    Endpoint.objects.bulk_create(Endpoint(platform=platform, **item) for item in peer.endpoints)
    platform.version = peer.version
    platform.versions_url = peer.versions_url
    platform.token_out = credentials.token
    platform.token_in_hash = hash_token(token_in)
    platform.token_in_is_registration = False
    platform.hub_party_id = (getattr(credentials, "hub_party_id", None) or "").upper()
    platform.status = ConnectionStatus.CONNECTED
    platform.registered_at = platform.last_seen_at = timezone.now()
    platform.unauthorized_count = 0
    platform.needs_attention = False
    platform.attention_reason = ""
    platform.save()
    client_info_changed(platform=platform, newly_connected=True)


def _save_connection(platform: Platform, **kwargs: Any) -> None:
    try:
        with transaction.atomic():
            _store_connection(platform, **kwargs)
    except IntegrityError:
        raise InvalidParameters("roles: a role of this platform is already registered by another platform") from None


# --- party-initiated: POST / PUT / DELETE on our credentials endpoint ---------------------------------


def credentials_register(*, platform: Platform, version: str, payload: Any) -> dict[str, Any]:
    """A party registers (POST, with token A): fetch its versions with token B, answer with token C."""
    if platform.registered_at is not None and not platform.token_in_is_registration:
        raise MethodNotAllowed("Already registered; use PUT to update or DELETE to unregister")
    credentials = _validate_credentials(version, payload)
    _check_roles_free(platform, credentials.roles)
    peer = discover(credentials.url, credentials.token, raw=not platform.token_base64, version=version)
    token_c = generate_token()
    _save_connection(platform, peer=peer, credentials=credentials, token_in=token_c)
    logger.info("Platform registered", extra=_event("platform.registered", platform))
    return hub_credentials(version=version, token=token_c, for_platform=platform)


def credentials_update(*, platform: Platform, version: str, payload: Any) -> dict[str, Any]:
    """PUT: re-fetch the party's endpoints, switch to ``version``, rotate its token (the old one dies now)."""
    if platform.token_in_is_registration or platform.registered_at is None:
        raise MethodNotAllowed("Not registered; use POST to register")
    credentials = _validate_credentials(version, payload)
    _check_roles_free(platform, credentials.roles)
    peer = discover(credentials.url, credentials.token, raw=not platform.token_base64, version=version)
    token_c = generate_token()
    _save_connection(platform, peer=peer, credentials=credentials, token_in=token_c)
    logger.info("Platform updated its credentials (token rotated)", extra=_event("platform.rotated", platform))
    return hub_credentials(version=version, token=token_c, for_platform=platform)


def credentials_unregister(*, platform: Platform) -> None:
    """DELETE: the party's token stops working and the hub stops calling it."""
    if platform.token_in_is_registration or platform.registered_at is None:
        raise MethodNotAllowed("Not registered")
    with transaction.atomic():
        platform.token_in_hash = None
        platform.token_out = ""
        platform.status = ConnectionStatus.SUSPENDED
        platform.save(update_fields=["token_in_hash", "token_out", "status", "updated_at"])
        client_info_changed(platform=platform)
    logger.info("Platform unregistered", extra=_event("platform.unregistered", platform))


# --- hub-initiated registration ------------------------------------------------------------------------


def hub_register(
    *,
    versions_url: str,
    token_a: str,
    name: str = "",
    token_base64: bool = True,
    platform: Platform | None = None,
) -> Platform:
    """The hub registers with a party: GET its versions with token A, POST our credentials (token B),
    store the token C it answers with."""
    created = platform is None
    if platform is None:
        platform = Platform.objects.create(name=name or versions_url[:100], token_base64=token_base64)
    try:
        peer = discover(versions_url, token_a, raw=not platform.token_base64, detailed=True)
        platform = _send_hub_credentials(platform, peer=peer, method="POST", auth_token=token_a)
        logger.info("Hub registered with platform", extra=_event("platform.registered", platform))
        return platform
    except Exception:
        if created:  # a failed first registration leaves nothing behind
            platform.delete()
        raise


def hub_rotate_token(*, platform: Platform) -> Platform:
    """The hub gives a registered party a new token B (PUT on its credentials) and stores its new token C.
    The old token B stops working as soon as the party has accepted the new one."""
    if not platform.token_out or platform.registered_at is None:
        raise MethodNotAllowed("Not registered")
    peer = discover(
        platform.versions_url,
        platform.token_out,
        raw=not platform.token_base64,
        version=platform.version or None,
        detailed=True,
    )
    platform = _send_hub_credentials(platform, peer=peer, method="PUT", auth_token=platform.token_out)
    logger.info("Hub rotated its token with platform", extra=_event("platform.rotated", platform))
    return platform


def _send_hub_credentials(platform: Platform, *, peer: PeerVersion, method: str, auth_token: str) -> Platform:
    credentials_url = next(item["url"] for item in peer.endpoints if item["identifier"] == "credentials")
    token_b = generate_token()
    previous_hash = platform.token_in_hash
    # The party calls our versions endpoint with token B before it answers: B must be valid (committed) now.
    Platform.objects.filter(pk=platform.pk).update(token_in_hash=hash_token(token_b), token_in_is_registration=False)
    body = hub_credentials(version=peer.version, token=token_b, for_platform=platform)
    try:
        credentials = _post_credentials(platform, method, credentials_url, auth_token, body, peer.version)
    except Exception:
        Platform.objects.filter(pk=platform.pk).update(token_in_hash=previous_hash)
        raise
    _check_roles_free(platform, credentials.roles)
    _save_connection(platform, peer=peer, credentials=credentials, token_in=token_b)
    return platform


def _post_credentials(platform: Platform, method: str, url: str, token: str, body: dict[str, Any], version: str) -> Any:
    try:
        reply = client.call(method, url, token=token, raw_token=not platform.token_base64, body=body)
    except client.TransportError as exc:
        raise UnableToUseClientApi(f"Could not reach the party's credentials endpoint: {exc}") from None
    if not reply.ok:
        raise UnableToUseClientApi(
            f"The party refused our credentials: HTTP {reply.http_status}, OCPI {reply.status_code} "
            f"{reply.status_message}".strip()
        )
    try:
        return _validate_credentials(version, single_object(reply.data, "credentials"))
    except (ValidationError, InvalidParameters) as exc:
        raise UnableToUseClientApi(f"The party answered invalid credentials: {exc}") from None


def hub_refresh_endpoints(*, platform: Platform) -> Platform:
    """Re-fetch the party's version details (admin action) without changing tokens."""
    peer = discover(
        platform.versions_url,
        platform.token_out,
        raw=not platform.token_base64,
        version=platform.version or None,
        detailed=True,
    )
    with transaction.atomic():
        platform.endpoints.all().delete()
        Endpoint.objects.bulk_create(Endpoint(platform=platform, **item) for item in peer.endpoints)
        platform.version = peer.version
        platform.save(update_fields=["version", "updated_at"])
    return platform
