"""The load test's users, run by locust in its own process (benchmarks/load.py starts it headless).

Locust patches the standard library with gevent when it is imported, so this file imports nothing of the
project: what the users need (accounts, password, references, the queue, a case document) comes as JSON in the
file named by LICENSA_LOAD_CONFIG.

Every request carries `X-Forwarded-Proto: https`, as behind the TLS-terminating proxy the production settings
expect (SECURE_PROXY_SSL_HEADER): Django then treats the request as HTTPS, so it neither redirects it nor refuses
the CSRF check, and its cookies are marked Secure. requests keeps Secure cookies to itself over plain HTTP, so
the session and CSRF cookies are sent in a Cookie header of our own.
"""

import json
import os
import random
import re

import gevent
from locust import HttpUser, between, task

CONFIG = json.loads(open(os.environ["LICENSA_LOAD_CONFIG"]).read())  # noqa: SIM115
HEADERS = {"X-Forwarded-Proto": "https"}
TOKEN_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
# Think time between a user's requests: people read a page before asking for the next one.
WAIT = between(CONFIG["wait_min"], CONFIG["wait_max"])
SIGNED_IN: list[str] = []


def _signed_in(user: HttpUser) -> None:
    """The timed minute starts when the last user has signed in: logins hash a password (Argon2, deliberately
    slow), and twenty of them at once would otherwise fill the first seconds of every page's figures."""
    SIGNED_IN.append(user.account["username"])
    if len(SIGNED_IN) == CONFIG["users"]:
        runner = user.environment.runner
        runner.stats.reset_all()
        gevent.spawn_later(CONFIG["duration"], runner.quit)


class SignedInUser(HttpUser):
    abstract = True
    wait_time = WAIT
    account: dict

    def on_start(self) -> None:
        """Sign in through the login form, as a browser would: read the form, post it with its CSRF token."""
        origin = self.host.replace("http://", "https://")
        answer = self.client.get("/login/", headers=HEADERS, name="login form")
        csrf = answer.cookies.get("csrftoken", "")
        match = TOKEN_INPUT.search(answer.text)
        answer = self.client.post(
            "/login/",
            data={
                "username": self.account["username"],
                "password": CONFIG["password"],
                "csrfmiddlewaretoken": match.group(1) if match else "",
            },
            headers={**HEADERS, "Referer": f"{origin}/login/", "Cookie": f"csrftoken={csrf}"},
            allow_redirects=False,
            name="login",
        )
        session = answer.cookies.get("sessionid")
        if answer.status_code != 302 or not session:
            raise RuntimeError(f"login of {self.account['username']} failed: {answer.status_code}")
        self.page_headers = {**HEADERS, "Cookie": f"sessionid={session}; csrftoken={csrf}"}
        self.client.cookies.clear()
        if not isinstance(self, Officer):
            _signed_in(self)

    def page(self, url: str, name: str) -> None:
        with self.client.get(
            url, headers=self.page_headers, name=name, allow_redirects=False, catch_response=True
        ) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")


class Officer(SignedInUser):
    """A compliance officer of the organisation with the most cases: its case list, its cases, and screening
    case documents through the API with a token."""

    account = CONFIG["officer"]

    def on_start(self) -> None:
        super().on_start()
        answer = self.client.post(
            "/api/v1/auth/token",
            json={"username": self.account["username"], "password": CONFIG["password"]},
            headers=HEADERS,
            name="token",
        )
        self.api_headers = {**HEADERS, "Authorization": f"Token {answer.json()['token']}"}
        _signed_in(self)

    @task
    def case_list(self) -> None:
        self.page(f"/cases/?page={random.randint(1, 20)}", "case list (officer)")

    @task
    def case_page(self) -> None:
        self.page(f"/cases/{random.choice(self.account['references'])}/", "case page")

    @task
    def screening(self) -> None:
        body = random.choice(CONFIG["documents"])
        with self.client.post(
            "/api/v1/screenings",
            data=body,
            headers={**self.api_headers, "Content-Type": "application/json"},
            name="screening API",
            catch_response=True,
        ) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code}")


class Reviewer(SignedInUser):
    """A reviewer of the authority: every submitted case in the list, the general queue, case pages."""

    account = CONFIG["reviewer"]

    @task
    def case_list(self) -> None:
        self.page(f"/cases/?page={random.randint(1, 20)}", "case list (reviewer)")

    @task
    def queue(self) -> None:
        self.page(f"/review/queues/{CONFIG['queue']}/?page={random.randint(1, 20)}", "reviewer queue")

    @task
    def case_page(self) -> None:
        self.page(f"/cases/{random.choice(self.account['references'])}/", "case page")
