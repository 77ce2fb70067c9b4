"""Every link a page offers its reader leads somewhere the reader may go: in the demo world, each demo user follows
the same-site links of the pages they can reach (GET only, breadth first, a bounded number of pages), and no link
answers 404 or a server error. A page that names a case its reader may not open (a holder's draft shown to the
authority, a case named to a rule admin) names it without a link."""

from collections import deque
from html.parser import HTMLParser
from io import StringIO
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from cases.management.commands.seed_demo import USERS
from cases.models import Case
from cases.vocab import CaseStatus
from rechecks.models import Finding

pytestmark = pytest.mark.django_db

PAGES_PER_USER = 150
VARIANTS_PER_PATH = 3  # query strings followed per path: filters and sort orders of one list are one page's links
NOT_FOLLOWED = ("/static/", "/media/", "/api/", "/admin/", "/logout/", "/language/")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _same_site(page: str, href: str) -> str | None:
    if href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
        return None
    parts = urlsplit(urljoin(f"http://testserver{page}", href))
    if parts.netloc != "testserver" or parts.path.startswith(NOT_FOLLOWED):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _broken_links(user: User) -> tuple[int, list[tuple[str, str, int]]]:
    client = Client()
    client.force_login(user)
    queue, seen, variants, broken = deque([("/", "")]), {"/"}, {}, []
    pages = 0
    while queue and pages < PAGES_PER_USER:
        url, found_on = queue.popleft()
        response = client.get(url, secure=True)
        pages += 1
        if response.status_code == 404 or response.status_code >= 500:
            broken.append((found_on, url, response.status_code))
            continue
        if response.status_code in (301, 302):
            hrefs = [response["Location"]]
        elif response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            parser = _Links()
            parser.feed(response.content.decode())
            hrefs = parser.hrefs
        else:
            continue
        for href in hrefs:
            target = _same_site(url, href)
            if target is None or target in seen:
                continue
            path = target.split("?", 1)[0]
            if "?" in target:
                variants[path] = variants.get(path, 0) + 1
                if variants[path] > VARIANTS_PER_PATH:
                    continue
            seen.add(target)
            queue.append((target, url))
    return pages, broken


def test_no_link_leads_a_demo_user_to_a_page_that_is_not_there():
    # The living demo as `make setup` makes it (the Chinese lists only: no demo party is on the CSL): cases in
    # review, permits with an amendment under way, a rule change and its re-check findings.
    call_command("load_rule_pack", "--publish", stdout=StringIO())
    call_command("load_shipped_lists", "--only", "CN-CONTROL", "CN-WATCH", "CN-UEL", stdout=StringIO())
    call_command("seed_demo", "--today", "2026-03-16", stdout=StringIO())
    assert Case.objects.filter(amends_permit__isnull=False, status=CaseStatus.DRAFT).exists()
    assert Finding.objects.exists()
    usernames = {spec.username for spec in USERS}
    crawled, broken = {}, {}
    for username in sorted(usernames):
        pages, found = _broken_links(User.objects.get(username=username))
        crawled[username] = pages
        if found:
            broken[username] = found
    assert not broken, broken
    # The crawl reached beyond the home page for everyone: a login that failed would also find nothing broken.
    assert all(pages > 5 for pages in crawled.values()), crawled
