"""REST compatibility: the routes the existing frontend calls, answering in its original format.

They call the same operations as the GraphQL mutations (``resolvers.sync.sync_manual``); only the
envelope differs. Validation failures are reported the way the original Joi-validated API did.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from models import Platform, Profile, SocialAccount, User
from resolvers import auth
from resolvers.errors import (
    ErrorCode,
    FieldError,
    NotAuthenticatedError,
    OperationError,
    RateLimitedError,
)
from resolvers.profile_reads import accounts_by_profile, profile_of
from resolvers.services import Services
from resolvers.sync import SyncItem, sync_manual

_ALLOWED_KEYS = {"followers", "engagement"}
_PLATFORM_PATHS = {p.value.lower(): p for p in Platform}


def _json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type="application/json"
    )


async def _authenticate(request: Request, services: Services) -> User:
    token = auth.bearer_token(request.headers.get("authorization"))
    if token is None:
        raise NotAuthenticatedError("No token provided")
    return await auth.authenticate(services, token)


def _unauthorized(reason: str) -> Response:
    return _json({"message": "Unauthorized", "error": reason}, 401)


def _joi_type(error: FieldError, present: bool, value: object) -> str:
    if error.code is ErrorCode.REQUIRED:
        # Joi: an absent key is "any.required"; a null one is a value of the wrong type.
        return "number.base" if present else "any.required"
    if error.code is ErrorCode.OUT_OF_RANGE:
        return "number.min" if isinstance(value, int | float) and value < 0 else "number.max"
    if (
        error.field
        and error.field[-1] == "followers"
        and isinstance(value, float)
        and math.isfinite(value)
    ):
        return "number.integer"
    return "number.base"


def _validation_failed(details: list[dict[str, Any]]) -> Response:
    return _json({"message": "Validation failed", "details": details}, 400)


_ABSENT = object()
_INT_MAX = 2**63 - 1
_LONG_INT_DIGITS = 100


def _text(value: str) -> str:
    """A string the response can carry: JSON escapes may decode to lone surrogates, which are not
    valid UTF-8; they are echoed as replacement characters."""
    return value.encode("utf-8", "replace").decode("utf-8")


def _echo(value: object) -> object:
    """The client's value as it can be echoed back in ``context.value`` (Joi echoes it)."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value if -_INT_MAX <= value <= _INT_MAX else float(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return None  # objects and arrays are not echoed


def _detail(message: str, key: str, type_: str, value: object = _ABSENT) -> dict[str, Any]:
    key = _text(key)
    context: dict[str, Any] = {"label": key, "key": key}
    if value is not _ABSENT:
        context["value"] = _echo(value)
    return {"message": message, "path": [key], "type": type_, "context": context}


def _parse_int(digits: str) -> int:
    # Python refuses to convert more than 4,300 digits (ValueError); any number this long is far
    # out of range anyway, so it stands in as a huge value of the same sign.
    if len(digits) > _LONG_INT_DIGITS:
        huge: int = 10**_LONG_INT_DIGITS  # typeshed types int ** int as Any (it may be a float)
        return -huge if digits.startswith("-") else huge
    return int(digits)


def _parse_body(raw: bytes) -> object:
    """The request body as JSON. An empty body is ``{}`` (as Express's JSON parser gave the
    original API). ``NaN`` and ``Infinity`` parse to floats so validation names the field they
    were sent in. Raises ValueError when the body is not JSON."""
    if not raw:
        return {}
    try:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return json.loads(raw.decode("utf-8"), parse_constant=float, parse_int=_parse_int)
    except RecursionError as exc:  # nested deeper than the interpreter's stack
        raise ValueError("The body is nested too deeply.") from exc


def _number(value: object) -> object:
    """JavaScript has one number type, so Joi took ``1000.0`` and ``1e3`` as whole numbers (as
    GraphQL's BigInt does)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def profile_document(profile: Profile, accounts: list[SocialAccount]) -> dict[str, Any]:
    """The profile as the original API returned it."""
    breakdown = {
        a.platform.value.lower(): {
            "followers": a.followers,
            "engagement": a.engagement if a.engagement is not None else 0,
            "lastSynced": a.synced_at.isoformat(),
        }
        for a in accounts
    }
    return {
        "id": str(profile.id),
        "displayName": profile.display_name,
        "bio": profile.bio,
        "avatarUrl": profile.avatar_url,
        "niches": profile.niches,
        "location": {"city": profile.city, "state": profile.state, "country": profile.country},
        "isPublic": profile.is_public,
        "rizzScore": profile.rizz_score,
        "stats": {
            "platformBreakdown": breakdown,
            "totalFollowers": profile.total_followers,
            "avgEngagement": profile.avg_engagement,
        },
        "updatedAt": profile.updated_at.isoformat(),
    }


async def social_sync(request: Request) -> Response:
    services: Services = request.state.services
    try:
        user = await _authenticate(request, services)
    except NotAuthenticatedError as exc:
        return _unauthorized(str(exc))
    platform = _PLATFORM_PATHS.get(request.path_params["platform"].lower())
    if platform is None:
        return _json(
            {
                "message": "Invalid platform type",
                "error": f"Platform must be one of: {', '.join(_PLATFORM_PATHS)}",
            },
            400,
        )
    try:
        body = _parse_body(await request.body())
    except ValueError:
        return _validation_failed(
            [_detail("Request body must be valid JSON", "body", "object.base")]
        )
    if not isinstance(body, dict):
        return _validation_failed(
            [_detail('"value" must be of type object', "value", "object.base")]
        )
    unknown = [k for k in body if k not in _ALLOWED_KEYS]
    if unknown:
        return _validation_failed(
            [_detail(f'"{_text(k)}" is not allowed', k, "object.unknown") for k in unknown]
        )
    item = SyncItem(
        platform=platform,
        followers=_number(body.get("followers")),
        engagement=body.get("engagement"),
    )
    try:
        outcome = await sync_manual(services, user, [item])
    except RateLimitedError as exc:
        return _json(
            {
                "message": "Too many requests",
                "error": exc.errors[0].message,
                "retryAfter": exc.retry_after_seconds,
            },
            429,
            {"Retry-After": str(exc.retry_after_seconds)},
        )
    except OperationError as exc:
        return _validation_failed([_field_detail(e, body) for e in exc.errors])
    accounts = (await accounts_by_profile([outcome.profile.id]))[0]
    return _json(
        {
            "success": True,
            "message": f"Social media {platform.value.capitalize()} synced successfully",
            "profile": profile_document(outcome.profile, accounts),
        }
    )


def _field_detail(error: FieldError, body: dict[str, Any]) -> dict[str, Any]:
    key = error.field[-1] if error.field else "value"
    value = body.get(key, _ABSENT)
    return _detail(error.message, key, _joi_type(error, value is not _ABSENT, value), value)


async def my_profile(request: Request) -> Response:
    services: Services = request.state.services
    try:
        user = await _authenticate(request, services)
    except NotAuthenticatedError as exc:
        return _unauthorized(str(exc))
    profile = await profile_of(user)
    accounts = (await accounts_by_profile([profile.id]))[0]
    return _json({"success": True, "profile": profile_document(profile, accounts)})


routes = [
    Route("/api/v1/profiles/social-sync/{platform}", social_sync, methods=["POST"]),
    Route("/api/v1/profiles/me", my_profile, methods=["GET"]),
]
