"""The rules of the six-digit codes sent by mail (verification, password reset, email change):
one rule, one place.

A code works for 10 minutes and for at most 5 tries; sending a new one retires the old. A user
gets a new code of one purpose at most once a minute and 5 times a day, counted from the codes
themselves (in the database, so every instance counts alike). Every way a code can fail —
wrong, expired, used, superseded, out of tries — answers the same INVALID_CODE.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.expressions import F

from models import CodePurpose, EmailCode, MailKind, MailMessage, User
from resolvers.errors import ErrorCode, OperationError
from resolvers.mail_outbox import queue_mail
from resolvers.services import Services

CODE_SECONDS = 10 * 60
MAX_ATTEMPTS = 5
RESEND_COOLDOWN_SECONDS = 60
DAILY_CAP = 5
_DAY = timedelta(days=1)


def invalid_code() -> OperationError:
    return OperationError.single(
        ("code",),
        "The code is wrong, expired or used up; ask for a new one if you need to.",
        ErrorCode.INVALID_CODE,
    )


async def wait_before_new_code(user_id: int, purpose: CodePurpose, now: datetime) -> int | None:
    """Seconds until the user may get another code of ``purpose``, or None when they may now."""
    created = [
        row[0]
        for row in await EmailCode.filter(
            user_id=user_id, purpose=purpose, created_at__gt=now - _DAY
        )
        .order_by("-created_at")
        .values_list("created_at")
    ]
    if created and (since := (now - created[0]).total_seconds()) < RESEND_COOLDOWN_SECONDS:
        return max(1, int(RESEND_COOLDOWN_SECONDS - since))
    if len(created) >= DAILY_CAP:
        return max(1, int((created[DAILY_CAP - 1] + _DAY - now).total_seconds()) + 1)
    return None


async def lock_user(user_id: int) -> None:
    """Inside a transaction: serializes code issuing for one user, so two concurrent requests
    cannot both pass the cooldown (a row lock on PostgreSQL; SQLite has one writer)."""
    await User.filter(id=user_id).select_for_update().only("id")


async def issue_code(
    services: Services,
    user: User,
    purpose: CodePurpose,
    kind: MailKind,
    recipient: str,
    new_email: str | None = None,
) -> MailMessage:
    """Inside a transaction (after ``lock_user`` and the cooldown check): retires the user's
    live codes of ``purpose``, stores a new one and queues the mail that carries it."""
    now = datetime.now(UTC)
    await EmailCode.filter(user_id=user.id, purpose=purpose, used_at=None).update(used_at=now)
    code = services.codes.new_code()
    await EmailCode.create(
        user_id=user.id,
        purpose=purpose,
        code_hash=services.codes.digest(purpose, str(user.id), code),
        new_email=new_email,
        expires_at=now + timedelta(seconds=CODE_SECONDS),
    )
    return await queue_mail(
        recipient, kind, code=code, minutes=str(CODE_SECONDS // 60), email=new_email or recipient
    )


async def check_code(
    services: Services, user_id: int, purpose: CodePurpose, code: str
) -> EmailCode | None:
    """The user's live code of ``purpose`` when ``code`` is it, else None. Each check spends one
    of the code's tries first, committed on its own, so a refused guess counts even though the
    operation that asked then fails. The caller must still ``claim_code`` it."""
    code = code.strip()
    now = datetime.now(UTC)
    row = (
        await EmailCode.filter(user_id=user_id, purpose=purpose, used_at=None, expires_at__gt=now)
        .order_by("-id")
        .first()
    )
    if row is None:
        return None
    spent = await EmailCode.filter(id=row.id, used_at=None, attempts__lt=MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if not spent or not services.codes.matches(row.code_hash, purpose, str(user_id), code):
        return None
    return row


async def claim_code(code: EmailCode) -> bool:
    """Marks the code used, in the transaction that acts on it; False when a concurrent use
    claimed it first."""
    return bool(await EmailCode.filter(id=code.id, used_at=None).update(used_at=datetime.now(UTC)))
