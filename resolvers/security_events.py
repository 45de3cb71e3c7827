"""Security events (sign-in, failed sign-in, password reset, password change) for the
activity log.

The activity log belongs to the admin part of issue 11 (``record_activity`` in resolvers/);
this is the one seam the account operations call, so that joining them is a change here only:
at merge, ``security_event`` calls ``record_activity``. Until then each event is one log line.
Nothing secret passes through here: no password, no code.
"""

from __future__ import annotations

import logging
from enum import StrEnum

log = logging.getLogger("creatorgraph.security")


class SecurityEvent(StrEnum):
    SIGN_IN = "SIGN_IN"
    SIGN_IN_FAILED = "SIGN_IN_FAILED"
    PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 (an event name, not a secret)
    PASSWORD_CHANGE = "PASSWORD_CHANGE"  # noqa: S105


async def security_event(
    event: SecurityEvent, *, user_id: int | None, client_address: str | None
) -> None:
    """Records that ``event`` happened to ``user_id`` (None: an address with no account) from
    ``client_address``."""
    log.info("security event %s user=%s address=%s", event, user_id, client_address)
