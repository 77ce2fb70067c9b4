"""E-mail to people in their own language, sent once the transaction that caused it commits.

Messages are rendered now, inside the transaction (so they read the state being written), once per language among
the recipients, and each person gets a message of their own: officers of one exporter, or the senior reviewers,
do not see each other's addresses. Sending is `robust`: a mail server that is down is logged and never turns a
change that was stored into an error; a change that rolls back sends nothing."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import User
from .services import user_language


def mail_after_commit(*, template: str, context: dict[str, Any], recipients: Iterable[User]) -> None:
    """Send `<template>_subject.txt` and `<template>.txt`, rendered with `context`, to each recipient with an
    address, in the language they chose (the site's default without one)."""
    people = {user.email: user for user in recipients if user.email}
    if not people:
        return
    rendered: dict[str, tuple[str, str]] = {}
    messages = []
    for to, person in sorted(people.items()):
        language = user_language(person)
        if language not in rendered:
            with translation.override(language):
                subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
                rendered[language] = (subject, render_to_string(f"{template}.txt", context))
        subject, body = rendered[language]
        messages.append(EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to]))
    transaction.on_commit(lambda: get_connection().send_messages(messages), robust=True)
