"""Browser tests: Playwright (pytest-playwright) driving Debian's `chromium` against pytest-django's live server.

We never download Playwright's own browser builds: the browser is the `chromium` found on the PATH (CI installs
it with apt). Without it every test here is skipped with that reason, and nothing else is.

Each journey saves screenshots of its main pages under var/screenshots/<test name>/ (git-ignored); CI keeps them
as artefacts and a few are copied into docs/screenshots/ for the README.
"""

import importlib
import os
import re
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection

from accounts.roles import Role
from tests.factories import PASSWORD, make_organisation, make_user

CHROMIUM = shutil.which("chromium")
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Playwright's sync API keeps an asyncio loop running in the main thread, and Django refuses ORM calls from a
    thread with a running loop. These tests are plain synchronous code that reads the database between browser
    steps, so that guard has nothing to protect here. The loop belongs to a session-scoped fixture and runs until
    the session ends, so every test after the first browser test (pytest-django runs other transactional tests
    after these) runs beside it: the guard is lifted from the first browser test on, not before, and never for
    a subprocess that checks production settings (tests/test_security.py removes it)."""
    if Path(item.fspath).is_relative_to(Path(__file__).parent):
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    skip = pytest.mark.skip(reason="no `chromium` on the PATH (CI installs Debian's chromium package)")
    for item in items:
        if Path(item.fspath).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if CHROMIUM is None:
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": ["--no-sandbox"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A laptop-sized window, English, and the server's own time zone, so dates read as the app writes them.
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}, "locale": "en-GB"}


@pytest.fixture
def shots(request):
    """`shots("name")` saves a full-page screenshot of the page as it is now, numbered in the journey's order."""
    folder = SCREENSHOTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    taken = []

    def take(page, name: str) -> Path:
        path = folder / f"{len(taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        taken.append(path)
        return path

    take.taken = taken
    return take


@pytest.fixture
def login(live_server):
    def sign_in(page, user) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()

    return sign_in


@pytest.fixture
def ganzhou(transactional_db):
    return make_organisation("Ganzhou Rare Magnet Co., Ltd.", country="CN")


@pytest.fixture
def ganzhou_officer(ganzhou):
    return make_user(Role.OFFICER, organisation=ganzhou, username="ganzhou.officer")


@pytest.fixture
def baotou_officer(transactional_db):
    return make_user(
        Role.OFFICER, organisation=make_organisation("Baotou Oxide Trading Co., Ltd."), username="baotou.officer"
    )


# Rows the migrations seed (queues and their routing, refusal reasons, standard questions, the holiday calendar).
# A transactional test that ran before, as every browser test is, may have flushed them; each seeding is
# idempotent, so running them again restores what is missing and leaves the rest.
SEEDS = (
    "review.migrations.0002_seed_queues",
    "review.migrations.0004_seed_refusal_reasons",
    "rfis.migrations.0002_standard_questions",
    "timelimits.migrations.0002_cn_calendar",
)


@pytest.fixture
def seeded(transactional_db):
    for module in SEEDS:
        if apps.is_installed(module.split(".")[0]):
            importlib.import_module(module).seed(apps, connection.schema_editor)
