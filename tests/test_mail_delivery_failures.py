"""A mail server that is down is logged and never undoes what was stored: the e-mails sent after commit are
`robust`. (E-mail delivery is the outside boundary, so the backend is the one thing replaced here.)"""

import pytest
from django.core.mail.backends.base import BaseEmailBackend

from accounts.models import User
from accounts.roles import Role
from accounts.services import organisation_officer_add

from .factories import make_user

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("the mail server is down")


def test_an_officer_added_while_mail_is_down_is_kept(org, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    admin = make_user(Role.ORG_ADMIN, organisation=org)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        officer = organisation_officer_add(
            admin=admin, username="new.officer", email="new.officer@example.com", base_url="https://licensa.test"
        )
    assert callbacks, "the password-setup e-mail goes after commit"
    assert User.objects.filter(pk=officer.pk, organisation=org).exists()
