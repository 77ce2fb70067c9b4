"""Security settings as production runs them: `check --deploy` clean, the headers and cookies on real responses,
a Content-Security-Policy that refuses inline scripts, templates that need none, and lockout across the page and
the token API.

Production settings are read once per process, so those cases run in a fresh interpreter with DEBUG off, a secret
and a host name, as a deployment sets them."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from rest_framework.test import APIClient

from .factories import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
# Set here, or (DJANGO_ALLOW_ASYNC_UNSAFE) switches of the test run itself that a deployment never has.
CONTROLLED = (
    "DEBUG",
    "SECRET_KEY",
    "LICENSA_TESTING",
    "DATABASE_URL",
    "REDIS_URL",
    "ALLOWED_HOSTS",
    "SQLITE_PATH",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def production_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONTROLLED and not k.startswith("SECURE_")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="licensa.example.org",
        SQLITE_PATH=str(tmp_path / "db.sqlite3"),
    )
    return env


def test_check_deploy_passes_with_no_warning(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stderr


# A page fetched in production settings: over HTTP it redirects to HTTPS; over HTTPS it carries every header.
HEADERS = """
import json, django
from django.conf import settings
# Only the static-file storage differs from production: the manifest needs `collectstatic`, not wanted here.
settings.STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
django.setup()
from django.test import Client
client = Client(SERVER_NAME="licensa.example.org")
plain = client.get("/login/")
page = client.get("/login/", secure=True)
cookie = page.cookies.get(settings.CSRF_COOKIE_NAME)
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "status": page.status_code,
    "headers": dict(page.headers),
    "csrf_cookie": {"secure": bool(cookie and cookie["secure"]), "httponly": bool(cookie and cookie["httponly"])},
    "session_cookie": {"secure": settings.SESSION_COOKIE_SECURE, "httponly": settings.SESSION_COOKIE_HTTPONLY},
}))
"""


@pytest.fixture(scope="module")
def production_page(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("production")
    result = subprocess.run(
        [sys.executable, "-c", HEADERS],
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_redirects_plain_http_to_https(production_page):
    assert production_page["plain_status"] == 301
    assert production_page["plain_location"] == "https://licensa.example.org/login/"


def test_production_pages_carry_hsts_framing_referrer_and_nosniff(production_page):
    headers = production_page["headers"]
    assert production_page["status"] == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_production_cookies_are_secure_and_the_session_cookie_http_only(production_page):
    assert production_page["csrf_cookie"]["secure"] is True
    assert production_page["session_cookie"] == {"secure": True, "httponly": True}


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_production_csp_refuses_inline_scripts(production_page):
    csp = csp_directives(production_page["headers"]["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/api/docs/", "/api/redoc/"])
def test_every_page_carries_the_policy_and_no_inline_script(path):
    response = Client().get(path)
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    # Every <script> names a file: an inline one would be refused by the browser under this policy.
    for tag in re.findall(r"<script\b[^>]*>", html, flags=re.IGNORECASE):
        assert "src=" in tag, f"{path}: inline script {tag}"


@pytest.mark.django_db
def test_swagger_ui_start_up_script_is_served_as_a_file():
    response = Client().get("/api/docs/?script=")
    assert response.status_code == 200
    assert "javascript" in response["Content-Type"]
    assert "SwaggerUIBundle" in response.content.decode()


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)


RULES = ((INLINE_SCRIPT, "inline <script>"), (EVENT_HANDLER, "on* handler"), (JS_URL, "javascript: URL"))


def template_violations(text: str) -> list[str]:
    found = []
    for pattern, what in RULES:
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"line {line}: {what}: {match.group(0)[:80]}")
    return found


def test_the_template_scanner_finds_each_kind_of_inline_script():
    assert template_violations("<script>alert(1)</script>")
    assert template_violations('<button class="btn"\n onclick="go()">')
    assert template_violations('<a href="javascript:void(0)">')
    assert template_violations('<script type="module">')
    assert not template_violations('<script src="/static/js/licensa.js" defer></script>')
    assert not template_violations('<button data-confirm="Sure?" class="online">')


def test_no_template_has_an_inline_script_or_event_handler():
    """Scripts live in static/ so the policy can refuse inline ones; a template that adds one fails here."""
    problems = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        for problem in template_violations(path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(ROOT)} {problem}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_failures_on_the_login_page_lock_the_token_api_too(officer):
    page = Client()
    for _ in range(5):
        page.post("/login/", {"username": "officer", "password": "wrong"})
    response = APIClient().post("/api/v1/auth/token", {"username": "officer", "password": PASSWORD}, format="json")
    assert response.status_code == 429
    assert "locked" in response.json()["detail"]  # even with the right password
