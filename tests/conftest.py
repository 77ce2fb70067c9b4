import pytest

from accounts.roles import Role

from .factories import make_organisation, make_user


@pytest.fixture(autouse=True)
def _fast_hashing_and_private_media(settings, tmp_path):
    # Argon2 is the production hasher (tested in test_accounts); tests use a fast one to stay quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _default_language_afterwards():
    """A request leaves its language active in the thread (LocaleMiddleware activates and never deactivates), so a
    test that ends on a Chinese page must not hand Chinese to the next test's direct service calls, whose refusals
    are catalogue messages too."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def org(db):
    return make_organisation("Ganzhou Rare Magnet Co., Ltd.", country="CN")


@pytest.fixture
def other_org(db):
    return make_organisation("Baotou Oxide Trading Co., Ltd.", country="CN")


@pytest.fixture
def officer(org):
    return make_user(Role.OFFICER, organisation=org, username="officer")


@pytest.fixture
def other_officer(other_org):
    return make_user(Role.OFFICER, organisation=other_org, username="other_officer")


@pytest.fixture
def reviewer(db):
    return make_user(Role.REVIEWER, username="reviewer")


@pytest.fixture
def senior_reviewer(db):
    return make_user(Role.REVIEWER, Role.SENIOR_REVIEWER, username="senior")


@pytest.fixture
def rule_admin(db):
    return make_user(Role.RULE_ADMIN, username="ruleadmin")


@pytest.fixture
def auditor(db):
    return make_user(Role.AUDITOR, username="auditor")


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Tests run Celery tasks in-process unless marked `worker`, which start a real worker on Redis; CI sets
    REDIS_URL for those, and it must not send every other test's tasks to a broker nobody consumes."""
    from config.celery import app

    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
