"""The rule admins' pages: who may read and who may write, the journey from a new draft through an edit, the
diff and publishing, path-keyed errors that change nothing, import, export, and the dry run over real cases."""

import copy
import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

import screening.selectors
from audit.models import AuditEvent
from cases.services import case_submit
from imports.models import ImportJob
from screening.models import ControlEntry, Rule, RuleSetVersion
from screening.packs import export_pack
from screening.selectors import rule_set_in_force
from screening.services import rule_set_create_draft, rule_set_row_save

from .factories import make_case

pytestmark = pytest.mark.django_db

SEED_LABEL = "2026.1"


@pytest.fixture(autouse=True)
def _fresh_compiled_rule_sets():
    # Compiled rule sets are cached by (pk, revision); a rolled-back test can leave an entry whose key a later
    # test's draft reuses on SQLite, so each test starts from an empty cache.
    screening.selectors._CACHE.clear()
    yield
    screening.selectors._CACHE.clear()


@pytest.fixture
def seeded(db) -> RuleSetVersion:
    call_command("load_rule_pack", "--publish")
    return RuleSetVersion.objects.get(label=SEED_LABEL)


@pytest.fixture
def draft(seeded, rule_admin) -> RuleSetVersion:
    return rule_set_create_draft(base=seeded, label="2026.2", actor=rule_admin)


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def url(name: str, version: RuleSetVersion | str | None = None, **kwargs) -> str:
    if version is not None:
        kwargs["label"] = version if isinstance(version, str) else version.label
    return reverse(f"rules:{name}", kwargs=kwargs)


def pack_rule(version: RuleSetVersion, code: str) -> dict:
    return next(r for r in export_pack(version)["rules"] if r["code"] == code)


def row_post(response) -> dict:
    """What the row form sends back as the page rendered it."""
    form = response.context["form"]
    return {"row": form["row"].value(), "original": form["original"].value() or ""}


def state(version: RuleSetVersion) -> tuple:
    version.refresh_from_db()
    return (
        version.status,
        version.revision,
        export_pack(version),
        RuleSetVersion.objects.count(),
        AuditEvent.objects.count(),
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- who may do what ---------------------------------------------------------------------------------------------


def _read_urls(seeded, draft) -> list[str]:
    return [
        url("list"),
        url("detail", seeded),
        url("detail", draft),
        url("export", seeded),
        url("diff", draft),
        url("diff", draft) + f"?against={SEED_LABEL}",
        url("dry-run", draft),
        url("row-edit", draft, section="rules", key="CN-18-1"),
        url("row-edit", seeded, section="control_entries", key="CN/1C902.a"),
    ]


def _admin_get_urls(draft) -> list[str]:
    return [url("validate", draft), url("row-new", draft, section="rules")]


def _write_posts(seeded, draft) -> list[tuple[str, dict]]:
    rule = pack_rule(draft, "CN-18-1")
    return [
        (url("new-draft"), {"base": SEED_LABEL, "label": "2026.9"}),
        (url("import"), {}),
        (url("publish", draft), {"revision": str(draft.revision)}),
        (
            url("row-edit", draft, section="rules", key="CN-18-1"),
            {"row": json.dumps({**rule, "outcome": "prohibited"}), "original": json.dumps(rule)},
        ),
        (
            url("row-new", draft, section="country_groups"),
            {"row": json.dumps({"code": "X", "name": "X", "members": []})},
        ),
        (url("row-delete", draft, section="rules", key="CN-18-1"), {}),
    ]


def test_every_rules_url_is_checked_for_every_role(seeded, draft):
    from screening.urls import urlpatterns

    addresses = _read_urls(seeded, draft) + _admin_get_urls(draft) + [a for a, _ in _write_posts(seeded, draft)]
    assert {resolve(a.split("?")[0]).url_name for a in addresses} == {p.name for p in urlpatterns}


@pytest.mark.parametrize("role", ["rule_admin", "auditor", "reviewer", "senior_reviewer"])
def test_readers_see_every_page(request, seeded, draft, role):
    client = client_for(request.getfixturevalue(role))
    for address in _read_urls(seeded, draft):
        assert client.get(address).status_code == 200, address


def test_rule_admins_reach_the_write_pages(seeded, draft, rule_admin):
    client = client_for(rule_admin)
    for address in _admin_get_urls(draft):
        assert client.get(address).status_code == 200, address


@pytest.mark.parametrize("role", ["auditor", "reviewer", "senior_reviewer"])
def test_readers_may_not_write(request, seeded, draft, role):
    client = client_for(request.getfixturevalue(role))
    before = state(draft)
    for address in _admin_get_urls(draft):
        assert client.get(address).status_code == 403, address
    for address, data in _write_posts(seeded, draft):
        assert client.post(address, data).status_code == 403, address
    assert state(draft) == before


def test_officers_get_403_everywhere(seeded, draft, officer):
    client = client_for(officer)
    before = state(draft)
    for address in _read_urls(seeded, draft) + _admin_get_urls(draft):
        assert client.get(address).status_code == 403, address
    for address, data in _write_posts(seeded, draft):
        assert client.post(address, data).status_code == 403, address
    assert state(draft) == before


def test_anonymous_visitors_are_sent_to_login(seeded, draft):
    client = client_for(None)
    login = reverse("login")
    for address in _read_urls(seeded, draft) + _admin_get_urls(draft):
        response = client.get(address)
        assert response.status_code == 302 and response["Location"].startswith(login + "?next="), address
    for address, data in _write_posts(seeded, draft):
        response = client.post(address, data)
        assert response.status_code == 302 and response["Location"].startswith(login), address


def test_unknown_version_section_or_row_is_404(seeded, draft, rule_admin):
    client = client_for(rule_admin)
    assert client.get(url("detail", "nope")).status_code == 404
    assert client.get(url("row-edit", draft, section="bogus", key="CN-18-1")).status_code == 404
    assert client.get(url("row-edit", draft, section="rules", key="NOPE")).status_code == 404
    assert client.get(url("row-new", draft, section="bogus")).status_code == 404


def test_nav_shows_rule_sets_to_admins_and_auditors_only(seeded, rule_admin, auditor, officer):
    link = f'href="{url("list")}"'
    assert link in client_for(rule_admin).get(url("list")).content.decode()
    assert link in client_for(auditor).get(url("list")).content.decode()
    assert link not in client_for(officer).get(reverse("cases:list")).content.decode()


# --- the pages ---------------------------------------------------------------------------------------------------


def test_list_marks_the_version_in_force_and_offers_admins_the_forms(seeded, draft, rule_admin, auditor):
    response = client_for(rule_admin).get(url("list"))
    page = text(response)
    assert response.context["in_force"] == seeded
    assert f'<tr class="table-primary"> <th scope="row"><a href="{url("detail", seeded)}">{SEED_LABEL}</a>' in page
    assert "In force" in page and "Draft" in page and "Published" in page
    assert url("new-draft") in page and url("import") in page
    reader_page = client_for(auditor).get(url("list")).content.decode()
    assert url("new-draft") not in reader_page and url("import") not in reader_page


def test_version_page_shows_every_section_and_flags_unverified_rows(seeded, auditor):
    response = client_for(auditor).get(url("detail", seeded))
    page = text(response)
    pack = export_pack(seeded)
    sections = {s["name"]: s for s in response.context["sections"]}
    for name in ("rules", "suspensions", "instruments", "provisions", "control_entries", "country_groups"):
        assert len(sections[name]["rows"]) == len(pack[name])
        assert f'id="section-{name}"' in page
    # A rule without a verification of its own takes its instrument's: CN-18-1 cites Ann. 18, an official text.
    cn18 = next(r for r in sections["rules"]["rows"] if r["key"] == "CN-18-1")
    assert (cn18["verification"], cn18["needs_check"]) == ("text", False)
    inferred = [r for r in sections["control_entries"]["rows"] if r["data"].get("verification") == "inferred"]
    assert inferred and all(r["needs_check"] for r in inferred)
    assert sections["control_entries"]["needs_check"] == sum(
        1 for e in pack["control_entries"] if e.get("verification") != "text"
    )
    assert "table-warning" in page
    # Party lists show their entry counts; control entries their HS codes.
    lists = {r["key"]: r["entry_count"] for r in sections["lists"]["rows"]}
    assert lists == {lst["key"]: len(lst["entries"]) for lst in pack["lists"]}
    assert "2805301910" in page
    # Readers get no editing buttons.
    assert "/edit/" in page and "Delete" not in page and url("publish", seeded) not in page


def test_version_page_queries_do_not_grow_with_rows(draft, rule_admin, django_assert_max_num_queries):
    client = client_for(rule_admin)
    with CaptureQueriesContext(connection) as before:
        assert client.get(url("detail", draft)).status_code == 200
    rule = pack_rule(draft, "CN-18-1")
    for n in range(5):
        rule_set_row_save(version=draft, actor=rule_admin, section="rules", row={**rule, "code": f"CN-COPY-{n}"})
        rule_set_row_save(
            version=draft,
            actor=rule_admin,
            section="control_entries",
            row={"jurisdiction": "CN", "code": f"1C99{n}", "description": "probe", "hs_codes": ["2805301910"]},
        )
    with django_assert_max_num_queries(len(before.captured_queries)):
        response = client.get(url("detail", draft))
    assert "CN-COPY-4" in response.content.decode()
    with django_assert_max_num_queries(12):
        client.get(url("list"))


def test_export_downloads_the_rule_pack(seeded, auditor):
    response = client_for(auditor).get(url("export", seeded))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == f'attachment; filename="{SEED_LABEL}.rulepack.json"'
    assert json.loads(response.content) == export_pack(seeded)


# --- the journey: draft, edit, diff, publish ---------------------------------------------------------------------


def test_draft_edit_diff_publish_through_the_pages(seeded, rule_admin):
    client = client_for(rule_admin)
    response = client.post(url("new-draft"), {"base": SEED_LABEL, "label": "2026.2"})
    draft = RuleSetVersion.objects.get(label="2026.2")
    assert response.status_code == 302 and response["Location"] == url("detail", draft)
    assert draft.is_draft and draft.based_on == seeded and draft.created_by == rule_admin

    edit = url("row-edit", draft, section="rules", key="CN-18-1")
    form = client.get(edit)
    assert form.status_code == 200 and "&quot;outcome&quot;: &quot;licence_required&quot;" in form.content.decode()
    data = row_post(form)
    data["row"] = data["row"].replace('"outcome": "licence_required"', '"outcome": "case_by_case"')
    response = client.post(edit, data)
    assert response.status_code == 302
    assert Rule.objects.get(version=draft, code="CN-18-1").outcome == "case_by_case"
    assert Rule.objects.get(version=seeded, code="CN-18-1").outcome == "licence_required"
    event = AuditEvent.objects.get(verb="ruleset.rules.changed")
    assert event.actor == rule_admin and event.after["outcome"] == "case_by_case"

    # The diff defaults to the version the draft is based on and names the field, old and new.
    diff = client.get(url("diff", draft))
    assert diff.context["against"] == seeded
    rules = next(s for s in diff.context["sections"] if s["name"] == "rules")
    assert rules["changed"] == [
        {"key": "CN-18-1", "fields": [{"field": "outcome", "old": "licence_required", "new": "case_by_case"}]}
    ]
    assert [s["name"] for s in diff.context["sections"]] == ["rules"]
    page = text(diff)
    assert "<del>licence_required</del>" in page and "<ins>case_by_case</ins>" in page

    validated = client.get(url("validate", draft))
    assert validated.context["validation"]["valid"] and "Valid: revision" in text(validated)

    draft.refresh_from_db()
    response = client.post(url("publish", draft), {"revision": draft.revision, "effective_from": ""})
    assert response.status_code == 302
    published = RuleSetVersion.objects.get(label="2026.2")
    assert published.status == "published" and published.published_by == rule_admin
    assert rule_set_in_force() == published
    page = text(client.get(url("list")))
    assert f'<tr class="table-primary"> <th scope="row"><a href="{url("detail", published)}">2026.2</a>' in page


def test_edit_of_a_composite_key_row(draft, rule_admin):
    client = client_for(rule_admin)
    edit = url("row-edit", draft, section="control_entries", key="CN/1C902.a")
    assert edit.endswith("/control_entries/CN/1C902.a/edit/")
    data = row_post(client.get(edit))
    row = json.loads(data["row"])
    row["description"] = "Samarium, checked again"
    assert client.post(edit, {**data, "row": json.dumps(row)}).status_code == 302
    assert ControlEntry.objects.get(version=draft, code="1C902.a").description == "Samarium, checked again"


def test_add_and_delete_rows(draft, rule_admin):
    client = client_for(rule_admin)
    new = url("row-new", draft, section="rules")
    copied = client.get(new, {"copy": "CN-18-1"})
    row = json.loads(copied.context["form"]["row"].value())
    assert row == pack_rule(draft, "CN-18-1")
    row["code"] = "CN-18-1-BIS"
    assert client.post(new, {"row": json.dumps(row)}).status_code == 302
    assert Rule.objects.filter(version=draft, code="CN-18-1-BIS").exists()

    response = client.post(url("row-delete", draft, section="rules", key="CN-18-1"))
    assert response.status_code == 302
    assert not Rule.objects.filter(version=draft, code="CN-18-1").exists()
    # The FAQ exclusion still names the deleted rule: validation and publishing say so, and nothing is published.
    validated = client.get(url("validate", draft))
    assert not validated.context["validation"]["valid"]
    assert "unknown rule &#x27;CN-18-1&#x27;" in validated.content.decode()
    draft.refresh_from_db()
    refused = client.post(url("publish", draft), {"revision": draft.revision})
    assert refused.status_code == 200
    assert any("unknown rule 'CN-18-1'" in m for e in refused.context["publish_errors"] for m in e["messages"])
    assert RuleSetVersion.objects.get(pk=draft.pk).status == "draft"


# --- bad input changes nothing -----------------------------------------------------------------------------------


def test_invalid_rule_edit_shows_path_keyed_errors_and_changes_nothing(draft, rule_admin):
    client = client_for(rule_admin)
    edit = url("row-edit", draft, section="rules", key="CN-61-1-1")
    data = row_post(client.get(edit))
    row = json.loads(data["row"])
    del row["conditions"]["threshold"]
    before = state(draft)
    response = client.post(edit, {**data, "row": json.dumps(row)})
    assert response.status_code == 200
    paths = {e["path"]: e["messages"] for e in response.context["row_errors"]}
    assert paths["row.conditions.threshold"] == ["required field is missing"]
    assert "<code>row.conditions.threshold</code>: required field is missing" in response.content.decode()
    assert state(draft) == before
    # What the admin typed stays in the textarea, to be corrected.
    assert '"threshold"' not in response.context["form"]["row"].value()


def test_broken_json_is_a_clear_error(draft, rule_admin):
    client = client_for(rule_admin)
    edit = url("row-edit", draft, section="rules", key="CN-18-1")
    data = row_post(client.get(edit))
    before = state(draft)
    response = client.post(edit, {**data, "row": '{"code": "CN-18-1",'})
    assert response.status_code == 200
    assert "not valid JSON" in response.context["form"].errors["row"][0]
    response = client.post(edit, {**data, "row": "[1, 2]"})
    assert response.context["form"].errors["row"] == ["A row is a JSON object: {…}."]
    assert state(draft) == before


def test_edit_of_a_row_changed_meanwhile_is_refused(draft, rule_admin):
    client = client_for(rule_admin)
    edit = url("row-edit", draft, section="rules", key="CN-18-1")
    data = row_post(client.get(edit))
    rule = pack_rule(draft, "CN-18-1")
    rule_set_row_save(version=draft, actor=rule_admin, section="rules", key="CN-18-1", row={**rule, "summary": "x"})
    before = state(draft)
    response = client.post(edit, {**data, "row": data["row"].replace("licence_required", "prohibited")})
    assert response.status_code == 409
    assert state(draft) == before


def test_published_rows_are_read_only(seeded, rule_admin):
    client = client_for(rule_admin)
    edit = url("row-edit", seeded, section="rules", key="CN-18-1")
    page = client.get(edit)
    assert page.status_code == 200 and not page.context["editable"]
    assert "<textarea" not in page.content.decode() and "never changes" in page.content.decode()
    rule = pack_rule(seeded, "CN-18-1")
    before = state(seeded)
    response = client.post(
        edit, {"row": json.dumps({**rule, "outcome": "prohibited"}), "original": json.dumps(rule)}, follow=True
    )
    assert "is published" in text(response)
    assert client.post(url("row-delete", seeded, section="rules", key="CN-18-1")).status_code == 302
    assert client.get(url("row-new", seeded, section="rules")).status_code == 302
    assert state(seeded) == before


def test_publish_of_a_published_version_is_refused(seeded, rule_admin):
    client = client_for(rule_admin)
    before = state(seeded)
    published_at = seeded.published_at
    response = client.post(url("publish", seeded), {"revision": seeded.revision}, follow=True)
    assert "published already" in text(response)
    assert state(seeded) == before
    assert RuleSetVersion.objects.get(pk=seeded.pk).published_at == published_at


def test_publish_of_a_draft_changed_since_it_was_shown_is_refused(draft, rule_admin):
    client = client_for(rule_admin)
    shown = draft.revision
    rule = pack_rule(draft, "CN-18-1")
    rule_set_row_save(version=draft, actor=rule_admin, section="rules", key="CN-18-1", row={**rule, "summary": "x"})
    response = client.post(url("publish", draft), {"revision": shown}, follow=True)
    assert "Nothing was published" in text(response)
    assert RuleSetVersion.objects.get(pk=draft.pk).status == "draft"


def test_new_draft_with_a_taken_or_unusable_label_is_refused(seeded, rule_admin):
    client = client_for(rule_admin)
    count = RuleSetVersion.objects.count()
    taken = client.post(url("new-draft"), {"base": SEED_LABEL, "label": SEED_LABEL})
    assert taken.status_code == 200 and "exists already" in taken.context["draft_form"].errors["label"][0]
    slash = client.post(url("new-draft"), {"base": SEED_LABEL, "label": "2026/2"})
    assert slash.context["draft_form"].errors["label"]
    reserved = client.post(url("new-draft"), {"base": SEED_LABEL, "label": "import"})
    assert "reserved" in reserved.context["draft_form"].errors["label"][0]
    assert RuleSetVersion.objects.count() == count


# --- import ------------------------------------------------------------------------------------------------------


def _upload(pack, name="pack.json") -> SimpleUploadedFile:
    body = pack if isinstance(pack, bytes) else json.dumps(pack).encode()
    return SimpleUploadedFile(name, body, content_type="application/json")


def test_importing_a_broken_pack_shows_every_error_and_creates_nothing(seeded, rule_admin):
    pack = export_pack(seeded)
    broken = copy.deepcopy(pack)
    broken["version"]["label"] = "broken"
    broken["rules"][0]["provision"] = "CN-NOPE"
    broken["suspensions"][0]["by"] = "NOPE"
    before = state(seeded)
    response = client_for(rule_admin).post(url("import"), {"file": _upload(broken)})
    assert response.status_code == 200
    paths = {e["path"] for e in response.context["import_errors"]}
    assert paths == {"rules[0].provision", "suspensions[0].by"}
    page = response.content.decode()
    assert '<code class="text-danger-emphasis">rules[0].provision</code>' in page
    assert "unknown instrument &#x27;NOPE&#x27;" in page
    assert state(seeded) == before
    assert not RuleSetVersion.objects.filter(label="broken").exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"format": "licensa-rule-pack/1",', "not valid JSON"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b'{"label": "caf\xe9"}', "not UTF-8"),
    ],
)
def test_importing_a_file_that_is_not_json_is_a_clear_error(seeded, rule_admin, body, message):
    before = state(seeded)
    response = client_for(rule_admin).post(url("import"), {"file": _upload(body)})
    assert response.status_code == 200
    assert message in response.context["import_form"].errors["file"][0]
    assert state(seeded) == before


def test_importing_a_pack_of_the_wrong_shape_names_the_path(seeded, rule_admin):
    before = state(seeded)
    response = client_for(rule_admin).post(url("import"), {"file": _upload([1, 2, 3])})
    assert response.status_code == 200 and response.context["import_errors"]
    response = client_for(rule_admin).post(url("import"), {"file": _upload({"format": "licensa-rule-pack/1"})})
    paths = {e["path"] for e in response.context["import_errors"]}
    assert {"version", "jurisdictions", "instruments", "rules"} <= paths
    assert state(seeded) == before


def test_importing_a_sound_pack_makes_a_draft(seeded, rule_admin, django_capture_on_commit_callbacks):
    pack = export_pack(seeded)
    pack["version"]["label"] = "2026.3"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(rule_admin).post(url("import"), {"file": _upload(pack), "label": ""})
    version = RuleSetVersion.objects.get(label="2026.3")
    # An import job writes the pack once the request has committed; the answer is the job's page.
    job = ImportJob.objects.get(rule_set_version=version)
    assert response.status_code == 302 and response["Location"] == reverse("imports:job", kwargs={"pk": job.pk})
    assert version.is_draft and export_pack(version)["rules"] == pack["rules"]
    # A label of the admin's own replaces the pack's.
    with django_capture_on_commit_callbacks(execute=True):
        client_for(rule_admin).post(url("import"), {"file": _upload(pack), "label": "2026.4"})
    assert RuleSetVersion.objects.get(label="2026.4").is_draft


def test_a_pack_label_that_cannot_be_an_address_needs_one_of_the_admins(seeded, rule_admin):
    pack = export_pack(seeded)
    pack["version"]["label"] = "2026/3"
    response = client_for(rule_admin).post(url("import"), {"file": _upload(pack)})
    assert response.context["import_form"].errors["label"]
    assert not RuleSetVersion.objects.filter(label="2026/3").exists()


# --- dry run -----------------------------------------------------------------------------------------------------


def test_dry_run_lists_a_case_whose_outcome_would_change(
    draft, rule_admin, officer, auditor, django_capture_on_commit_callbacks
):
    case = make_case(officer)  # Dy magnets (1C905.a) from China to Germany: CN-18-1 needs a licence
    with django_capture_on_commit_callbacks(execute=True):
        case_submit(case=case, actor=officer)
    unchanged = client_for(rule_admin).get(url("dry-run", draft))
    assert unchanged.context["result"]["cases_examined"] == 1
    assert unchanged.context["result"]["cases_changed"] == []
    assert "Permits in force examined" in text(unchanged)

    rule = pack_rule(draft, "CN-18-1")
    rule_set_row_save(
        version=draft, actor=rule_admin, section="rules", key="CN-18-1", row={**rule, "outcome": "case_by_case"}
    )
    response = client_for(auditor).get(url("dry-run", draft))
    assert response.status_code == 200
    [change] = response.context["result"]["cases_changed"]
    assert change["case"] == case.reference
    assert (change["old_outcome"], change["new_outcome"], change["direction"]) == (
        "licence_required",
        "case_by_case",
        "stricter",
    )
    page = text(response)
    assert f'<a href="/cases/{case.reference}/">{case.reference}</a>' in page
    assert "Licence required → <strong>Case-by-case review</strong>" in page
    assert "stricter" in page and "Permits in force examined" in page
    # A rule admin may not open cases: the reference is shown without a link to a page that would answer 404.
    page = text(client_for(rule_admin).get(url("dry-run", draft)))
    assert case.reference in page and f'href="/cases/{case.reference}/"' not in page
    assert client_for(rule_admin).get(f"/cases/{case.reference}/", secure=True).status_code == 404


def test_dry_run_of_an_invalid_draft_shows_what_to_fix(draft, rule_admin):
    client = client_for(rule_admin)
    client.post(url("row-delete", draft, section="rules", key="CN-18-1"))
    response = client.get(url("dry-run", draft))
    assert response.status_code == 200 and response.context["result"] is None
    assert any("unknown rule 'CN-18-1'" in m for e in response.context["errors"] for m in e["messages"])
