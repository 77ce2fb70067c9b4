"""API sign-in: tokens for a username and password, with the same lockout as the login page."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from .factories import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token"


def sign_in(client: APIClient, username: str, password: str):
    return client.post(TOKEN, {"username": username, "password": password}, format="json")


def test_token_for_good_credentials_opens_the_api(officer):
    client = APIClient()
    response = sign_in(client, "officer", PASSWORD)
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=officer).key}
    # Asking again gives the same token, not a new one per sign-in.
    assert sign_in(client, "officer", PASSWORD).json()["token"] == response.json()["token"]
    officer.refresh_from_db()
    assert officer.last_login is not None

    assert client.get("/api/v1/cases").status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    assert client.get("/api/v1/cases").status_code == 200


def test_form_encoded_credentials_work_too(officer):
    response = APIClient().post(TOKEN, {"username": "officer", "password": PASSWORD})
    assert response.status_code == 200 and response.json()["token"]


def test_wrong_credentials_are_a_field_error(officer):
    client = APIClient()
    for username, password in [("officer", "wrong-password"), ("nobody", PASSWORD)]:
        response = sign_in(client, username, password)
        assert response.status_code == 400
        assert response.json() == {
            "errors": {"non_field_errors": ["Unable to sign in with that username and password."]}
        }
    assert not Token.objects.exists()


def test_missing_fields_are_keyed_by_field(db):
    response = APIClient().post(TOKEN, {"username": "officer"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"errors": {"password": ["This field is required."]}}


def test_inactive_user_gets_no_token(officer):
    get_user_model().objects.filter(pk=officer.pk).update(is_active=False)
    assert sign_in(APIClient(), "officer", PASSWORD).status_code == 400
    assert not Token.objects.exists()


def test_a_stale_token_header_does_not_block_signing_in(officer):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get("/api/v1/cases").status_code == 401
    assert sign_in(client, "officer", PASSWORD).status_code == 200


def test_five_failures_lock_the_account_even_against_the_right_password(officer):
    client = APIClient()
    for _ in range(4):
        assert sign_in(client, "officer", "wrong-password").status_code == 400
    fifth = sign_in(client, "officer", "wrong-password")
    assert fifth.status_code == 429
    assert fifth["Content-Type"] == "application/json"
    assert "locked for up to 30 minutes" in fifth.json()["detail"]
    assert fifth["Retry-After"] == "1800"

    locked = sign_in(client, "officer", PASSWORD)
    assert locked.status_code == 429
    assert "locked" in locked.json()["detail"]
    assert not Token.objects.exists()
    assert AccessAttempt.objects.get(username="officer").failures_since_start >= 5

    # Another account from the same address is not affected.
    assert sign_in(client, "nobody", "x").status_code == 400


def test_a_successful_sign_in_forgets_earlier_failures(officer):
    client = APIClient()
    for _ in range(4):
        sign_in(client, "officer", "wrong-password")
    assert sign_in(client, "officer", PASSWORD).status_code == 200
    for _ in range(4):
        assert sign_in(client, "officer", "wrong-password").status_code == 400
    assert sign_in(client, "officer", PASSWORD).status_code == 200


def test_session_sign_in_works_for_the_browser_and_needs_csrf_for_writes(officer):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(officer)
    assert client.get("/api/v1/cases").status_code == 200
    response = client.post("/api/v1/cases", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
