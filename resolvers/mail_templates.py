"""What each kind of mail says, in plain text and HTML (``string.Template``).

Every value is escaped for the HTML part as it is substituted, so an address or a name can
never become markup; the plain-text part takes values as they are.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from string import Template

from models import MailKind


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class _MailTemplate:
    subject: Template
    text: Template
    body: Template  # HTML: the part inside the shared layout


_LAYOUT = Template(
    """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>$subject</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222;">
$body
<p style="color: #777; font-size: 0.9em;">creatorgraph</p>
</body></html>
"""
)

_CODE_HTML = (
    '<p style="font-size: 2em; letter-spacing: 0.2em; font-family: monospace;"><b>$code</b></p>'
)

_TEMPLATES: dict[MailKind, _MailTemplate] = {
    MailKind.EMAIL_VERIFICATION: _MailTemplate(
        Template("Your creatorgraph verification code: $code"),
        Template(
            "Welcome to creatorgraph.\n\n"
            "Your verification code is: $code\n\n"
            "It works for $minutes minutes. If you did not sign up, ignore this email.\n"
        ),
        Template(
            "<p>Welcome to creatorgraph.</p><p>Your verification code is:</p>"
            + _CODE_HTML
            + "<p>It works for $minutes minutes. If you did not sign up, ignore this email.</p>"
        ),
    ),
    MailKind.PASSWORD_RESET: _MailTemplate(
        Template("Your creatorgraph password reset code: $code"),
        Template(
            "Someone asked to reset the password of your creatorgraph account.\n\n"
            "Your reset code is: $code\n\n"
            "It works for $minutes minutes. If it was not you, ignore this email: your "
            "password stays as it is.\n"
        ),
        Template(
            "<p>Someone asked to reset the password of your creatorgraph account.</p>"
            "<p>Your reset code is:</p>"
            + _CODE_HTML
            + "<p>It works for $minutes minutes. If it was not you, ignore this email: your "
            "password stays as it is.</p>"
        ),
    ),
    MailKind.PASSWORD_CHANGED: _MailTemplate(
        Template("Your creatorgraph password was changed"),
        Template(
            "The password of your creatorgraph account ($email) was changed, and every "
            "session was signed out.\n\n"
            "If it was not you, reset your password now and check your account.\n"
        ),
        Template(
            "<p>The password of your creatorgraph account (<b>$email</b>) was changed, and "
            "every session was signed out.</p>"
            "<p>If it was not you, reset your password now and check your account.</p>"
        ),
    ),
    MailKind.EMAIL_CHANGE: _MailTemplate(
        Template("Confirm your new creatorgraph email address: $code"),
        Template(
            "You asked to use $email for your creatorgraph account.\n\n"
            "Your confirmation code is: $code\n\n"
            "It works for $minutes minutes. Until you confirm, your account keeps its old "
            "address. If it was not you, ignore this email.\n"
        ),
        Template(
            "<p>You asked to use <b>$email</b> for your creatorgraph account.</p>"
            "<p>Your confirmation code is:</p>"
            + _CODE_HTML
            + "<p>It works for $minutes minutes. Until you confirm, your account keeps its old "
            "address. If it was not you, ignore this email.</p>"
        ),
    ),
}


def render_mail(kind: MailKind, **values: str) -> RenderedMail:
    """The mail of ``kind`` with ``values`` filled in; a missing value is a bug (KeyError)."""
    template = _TEMPLATES[kind]
    subject = template.subject.substitute(values)
    escaped = {name: html.escape(value) for name, value in values.items()}
    body = template.body.substitute(escaped)
    return RenderedMail(
        subject=subject,
        text=template.text.substitute(values),
        html=_LAYOUT.substitute(subject=html.escape(subject), body=body),
    )
