"""Accessibility: axe-core run in the real browser on the main pages of every role, page titles that say where
you are, keyboard use of the new-case form and the skip link, and a tablet-sized window.

axe-core (tests/browser/vendor/, MPL-2.0) is evaluated in each page through Playwright, which the site's
Content-Security-Policy does not govern, so the pages are checked exactly as they are served. A page fails on any
violation of a WCAG 2.1 A or AA rule whose impact axe rates "serious" or "critical"; every failing page and rule is
listed in one message, so a run shows all that is wrong at once."""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.permission_world import World, build_world

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
TABLET = {"width": 768, "height": 1024}
TABLET_PAGES = (
    "/cases/",
    "/cases/{screened}/",
    "/permits/",
    "/review/",
    "/review/queues/general/",
    "/rechecks/findings/",
)
# A page title: what the page is, then the site's name.
SITE = " · Licensa"


@dataclass(frozen=True)
class Visit:
    name: str
    path: str  # a format string over the world's objects
    title: str  # a regular expression the whole title must match, the site's name after it


def pages(w: World) -> dict[str, list[Visit]]:
    """The main pages each role works with, and the title each must carry."""
    ref = {
        name: getattr(w, name).reference for name in ("draft", "screened", "in_review", "awaiting", "asked", "approved")
    }
    permit = w.permit.number
    return {
        "officer": [
            Visit("dashboard", "/dashboard/", r"Dashboard"),
            Visit("case list", "/cases/", r"Cases"),
            Visit("search", "/cases/?q=stuttgart", r"Cases"),
            Visit("saved searches", "/search/saved/", r"Saved searches"),
            Visit("new case", "/cases/new/", r"New case"),
            Visit("draft case", f"/cases/{ref['draft']}/", rf"Case {ref['draft']} \(Draft\)"),
            Visit("edit case", f"/cases/{ref['draft']}/edit/", rf"Edit {ref['draft']}"),
            Visit("upload", f"/cases/{ref['draft']}/documents/new/", rf"Upload a document · {ref['draft']}"),
            Visit("screened case", f"/cases/{ref['screened']}/", rf"Case {ref['screened']} \(.+\)"),
            Visit(
                "information request",
                f"/cases/{ref['asked']}/information-requests/{w.rfi.pk}/",
                rf"Request for information · {ref['asked']}",
            ),
            Visit("permits register", "/permits/", r"Permits"),
            Visit("permit", f"/permits/{permit}/", rf"Permit {permit} \(.+\)"),
        ],
        "reviewer": [
            Visit("reviewer home", "/review/", r"Review"),
            Visit("queue", "/review/queues/general/", r".+ queue · Review"),
            Visit("case with reviewer panel", f"/cases/{ref['in_review']}/", rf"Case {ref['in_review']} \(.+\)"),
            Visit(
                "request information",
                f"/cases/{ref['in_review']}/information-requests/new/",
                rf"Request information · {ref['in_review']}",
            ),
            Visit("case list", "/cases/", r"Cases"),
            Visit("permits register", "/permits/", r"Permits"),
            Visit("permit", f"/permits/{permit}/", rf"Permit {permit} \(.+\)"),
            Visit("re-check runs", "/rechecks/", r"Permit re-checks"),
            Visit("re-check run", f"/rechecks/runs/{w.run.pk}/", rf"Re-check {w.run.pk}"),
            Visit("triage", "/rechecks/findings/", r"Re-check findings"),
            Visit("finding", f"/rechecks/findings/{w.finding.pk}/", rf"Finding on {permit}"),
        ],
        "senior_reviewer": [
            Visit("case awaiting countersignature", f"/cases/{ref['awaiting']}/", rf"Case {ref['awaiting']} \(.+\)"),
            Visit("reports", "/reports/", r"Management reports"),
            Visit("routing rules", "/review/routing/", r"Routing rules"),
        ],
        "rule_admin": [
            Visit("rule sets", "/rules/", r"Rule sets"),
            Visit("draft rule set", f"/rules/{w.draft_rules.label}/", rf"Rule set {w.draft_rules.label}"),
            Visit("diff", f"/rules/{w.draft_rules.label}/diff/", rf"Diff · {w.draft_rules.label}"),
            Visit("dry run", f"/rules/{w.draft_rules.label}/dry-run/", rf"Dry run · {w.draft_rules.label}"),
            Visit("start a re-check", "/rechecks/new/", r"Start a re-check"),
            Visit("re-check run", f"/rechecks/runs/{w.run.pk}/", rf"Re-check {w.run.pk}"),
        ],
        "org_admin": [Visit("organisation", "/organisation/", r"Members of .+")],
        "auditor": [
            Visit("approved case", f"/cases/{ref['approved']}/", rf"Case {ref['approved']} \(.+\)"),
            Visit("reports", "/reports/", r"Management reports"),
        ],
    }


@pytest.fixture
def world(seeded, django_capture_on_commit_callbacks) -> World:
    return build_world(django_capture_on_commit_callbacks)


def axe_problems(page, where: str) -> list[str]:
    """Run axe on the page as it is now; one line per blocking violation, naming the page, rule and elements."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    # What a disclosure holds (the reviewer's forms) is checked too: axe passes over what is hidden.
    page.evaluate("() => document.querySelectorAll('main details').forEach(d => { d.open = true; })")
    result = page.evaluate(
        """async (tags) => await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                   resultTypes: ["violations"]})""",
        WCAG_TAGS,
    )
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} — "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def structure_problems(page, where: str) -> list[str]:
    """What axe's WCAG rules leave to best practice: ids are unique, the page has one main region and one
    first-level heading, and the skip link leads to the main region."""
    found = page.evaluate(
        """() => {
            const ids = [...document.querySelectorAll("[id]")].map(el => el.id);
            const skip = document.querySelector("a.skip-link");
            return {
                duplicates: [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))],
                mains: document.querySelectorAll("main").length,
                h1s: document.querySelectorAll("h1").length,
                skip: skip && document.querySelector(skip.getAttribute("href")) === document.querySelector("main"),
            };
        }"""
    )
    problems = [f"{where}: id {name!r} is used more than once" for name in found["duplicates"]]
    if found["mains"] != 1 or found["h1s"] != 1:
        problems.append(f"{where}: {found['mains']} main regions and {found['h1s']} h1 headings, not one of each")
    if not found["skip"]:
        problems.append(f"{where}: no skip link to the main region")
    return problems


def layout_problems(page, where: str) -> list[str]:
    """Nothing in the page reaches past the window's edge, and every table of the main content sits in a
    .table-responsive wrapper, which scrolls it sideways on its own when it is wider than the window."""
    problems = []
    scroll_width, window_width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    if scroll_width > window_width:
        problems.append(f"{where}: the page is {scroll_width} px wide in a {window_width} px window: {wide(page)}")
    loose = page.evaluate(
        """() => [...document.querySelectorAll("main table")]
            .filter(t => !t.closest(".table-responsive"))
            .map(t => t.id || (t.caption && t.caption.innerText) || t.className)"""
    )
    return problems + [f"{where}: table {name!r} is not in a .table-responsive wrapper" for name in loose]


def wide(page) -> str:
    """The outermost elements that reach past the window's right edge, to say what makes a page too wide."""
    return page.evaluate(
        """() => [...document.body.querySelectorAll("*")]
            .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(el => !(el.parentElement && el.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
            .slice(0, 5)
            .map(el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + "." + [...el.classList].join("."))
            .join(", ")"""
    )


def focus_ring(page) -> dict:
    """What has the keyboard focus, and whether it is drawn with a visible outline or ring. Focus on a part of a
    built-in control (the date field's calendar button) leaves the field itself unfocused: the browser draws that
    part's ring, which the page's styles cannot take away."""
    return page.evaluate(
        """() => {
            const el = document.activeElement, style = getComputedStyle(el);
            const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
            return {tag: el.tagName.toLowerCase(), id: el.id, name: el.name || "", text: el.innerText || "",
                    visible: !el.matches(":focus") || outline || style.boxShadow !== "none"};
        }"""
    )


def title_problem(page, where: str, title: str) -> list[str]:
    actual = page.title()
    return [] if re.fullmatch(title + re.escape(SITE), actual) else [f"{where}: title {actual!r} is not {title!r}"]


@pytest.mark.parametrize("role", ["officer", "reviewer", "senior_reviewer", "rule_admin", "org_admin", "auditor"])
def test_main_pages_of_each_role_pass_axe_and_say_where_you_are(live_server, page, login, world, role):
    login(page, world.users[role])
    problems = []
    for visit in pages(world)[role]:
        response = page.goto(live_server.url + visit.path)
        assert response.ok, f"{visit.name} ({visit.path}) answered {response.status}"
        page.wait_for_load_state("networkidle")  # htmx fragments (a run's progress) are part of the page
        problems += title_problem(page, visit.name, visit.title)
        problems += axe_problems(page, visit.name)
        problems += layout_problems(page, visit.name)
        problems += structure_problems(page, visit.name)
    assert not problems, "\n".join(problems)


def test_sign_in_page_with_and_without_errors_passes_axe(live_server, page, world):
    problems = []
    page.goto(f"{live_server.url}/login/")
    problems += title_problem(page, "sign in", r"Sign in")
    problems += axe_problems(page, "sign in")
    page.get_by_label("Username").fill("m_officer")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    expect(page.get_by_role("alert").first).to_be_visible()
    problems += axe_problems(page, "sign in, refused")
    problems += structure_problems(page, "sign in, refused")
    assert not problems, "\n".join(problems)


def test_new_case_form_with_errors_passes_axe(live_server, page, login, world):
    login(page, world.users["officer"])
    page.goto(f"{live_server.url}/cases/new/")
    # A draft may be saved with every field blank, so the error shown is a date the server cannot read: the
    # field is made a text box, as in a browser without a date picker.
    date_field = page.get_by_label("Intended export date")
    date_field.evaluate("field => { field.type = 'text'; }")
    date_field.fill("31/02/2026")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_load_state()
    summary = page.get_by_role("alert").first
    expect(summary).to_be_visible()
    problems = title_problem(page, "new case, refused", r"New case")
    problems += axe_problems(page, "new case, refused")
    assert not problems, "\n".join(problems)


def test_keyboard_reaches_the_skip_link_and_the_new_case_forms_submit_button(live_server, page, login, world):
    # Bootstrap draws focus rings with a transition, which reduced motion turns off: each ring is read as drawn.
    page.emulate_media(reduced_motion="reduce")
    login(page, world.users["officer"])
    page.goto(f"{live_server.url}/cases/new/")

    # The first Tab lands on the skip link, shown once focused; Enter moves the focus to the main content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    assert focus_ring(page)["visible"], "the focused skip link shows no focus ring"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    # From there Tab walks through the form to its submit button, each stop drawn with a visible focus.
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stop = focus_ring(page)
        stops.append(stop)
        if stop["tag"] == "button" and "Create draft" in stop["text"]:
            break
    else:
        pytest.fail("Tab never reached “Create draft”: " + ", ".join(s["name"] or s["text"] for s in stops))
    names = [s["name"] for s in stops]
    for field in ("case-licence_type", "case-destination_country", "case-decisive_date", "case-end_use_description"):
        assert field in names, f"Tab skipped {field}"
    unringed = [s["name"] or s["text"] or s["tag"] for s in stops if not s["visible"]]
    assert not unringed, "focused without a visible focus indicator: " + ", ".join(unringed)

    # Enter on the button files the draft: the form works without a mouse.
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"^Edit LIC-"))).to_be_visible()


def test_tablet_window_has_no_sideways_scrolling_and_passes_axe(live_server, page, login, world):
    page.set_viewport_size(TABLET)
    login(page, world.users["reviewer"])
    problems = []
    for path in TABLET_PAGES:
        page.goto(live_server.url + path.format(screened=world.screened.reference))
        page.wait_for_load_state("networkidle")
        problems += layout_problems(page, path)
        # A table scrolled inside its wrapper must still be reachable from the keyboard.
        problems += axe_problems(page, f"{path} (tablet)")
    assert not problems, "\n".join(problems)

    # The queue's eight columns are wider than a tablet: its wrapper scrolls them, and the page stays put.
    page.goto(f"{live_server.url}/review/queues/general/")
    wrapper = page.locator("main .table-responsive").first
    assert wrapper.evaluate("el => el.scrollWidth > el.clientWidth"), "the queue's table fits: nothing was tested"
    wrapper.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    assert page.evaluate("() => window.scrollX") == 0
