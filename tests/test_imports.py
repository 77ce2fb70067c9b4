"""Import jobs: a list or rule pack uploaded on a page is queued, run by the task (in-process here), and its page
shows the progress, then the summary or the errors; a broken file ends the job failed with the old version still in
force; who may upload and read. The worker and the second connection are tested in test_imports_worker."""

import copy
import hashlib
import json
import os
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from imports import services as import_services
from imports.models import ImportJob
from imports.services import _store, import_job_run, import_job_submit_list
from parties.models import ListEntry, ListVersion
from parties.services import list_import
from screening.models import RuleSetVersion
from screening.packs import export_pack
from screening.selectors import rule_set_in_force

pytestmark = pytest.mark.django_db

HEADER = "id,name,aliases,kind,country,instrument,listed_from,listed_to,program,remarks\n"
GOOD = HEADER + "E1,Alpha Trading Co,,entity,CN,,,,,\nE2,Beta Works,Beta;B W,entity,RU,,,,,\nE3,Gamma,,entity,IR,,,,,\n"
BROKEN = HEADER + "E1,Alpha Trading Co,,entity,CN,,,,,\nE2,Beta Works,,entity,Russia,,,,,\n"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def upload(name: str, content: str | bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content, "text/csv")


def post_list(client, *files, list_key="TEST-LIST", fmt="csv", **extra):
    return client.post(reverse("imports:list-new"), {"list_key": list_key, "fmt": fmt, "files": list(files), **extra})


def verbs(job) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_type="imports.importjob", target_id=str(job.pk))
        .order_by("id")
        .values_list("verb", flat=True)
    )


# --- a list -----------------------------------------------------------------------------------------------------


def test_an_uploaded_list_is_imported_by_the_job_and_its_page_shows_the_summary(
    rule_admin, auditor, django_capture_on_commit_callbacks
):
    client = client_for(rule_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_list(client, upload("watch.csv", GOOD), effective_from="2026-03-01", name="Test list")
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:job", kwargs={"pk": job.pk})

    job.refresh_from_db()
    version = ListVersion.objects.get(restricted_list__key="TEST-LIST")
    assert (job.status, job.done, job.total, job.list_version) == ("done", 3, 3, version)
    assert version.entry_count == 3 and version.imported_by == rule_admin
    assert str(version.effective_from) == "2026-03-01" and version.restricted_list.name == "Test list"
    assert version.source_files[0]["name"] == "watch.csv"
    assert job.summary == {"rows": 3, "version": 1, "added": 3, "removed": 0, "changed": 0}
    assert verbs(job) == ["import_job.queued", "import_job.done"]
    assert AuditEvent.objects.filter(verb="list.imported", actor=rule_admin).count() == 1
    # The file is stored under a name the app made, not the one sent.
    assert job.files[0]["name"] == "watch.csv" and "watch" not in job.files[0]["stored"]

    page = text(client_for(auditor).get(reverse("imports:job", kwargs={"pk": job.pk})))
    assert "TEST-LIST v1" in page and "3 added, 0 removed, 0 changed" in page
    partial = client_for(auditor).get(reverse("imports:job-progress", kwargs={"pk": job.pk}))
    assert partial.status_code == 200 and partial.context["job"].done == 3
    assert "hx-get" not in partial.content.decode()  # finished: the page stops polling
    assert 'value="3" max="3"' in partial.content.decode()


def test_the_progress_partial_polls_with_the_counts_until_the_job_ends(rule_admin):
    job = import_job_submit_list(actor=rule_admin, list_key="TEST-LIST", fmt="csv", uploads=[("a.csv", GOOD.encode())])
    url = reverse("imports:job-progress", kwargs={"pk": job.pk})
    client = client_for(rule_admin)

    queued = text(client.get(url))
    assert "Waiting for a worker." in queued and f'hx-get="{url}"' in queued and 'hx-trigger="every 2s"' in queued
    assert '<progress class="w-100" aria-label' in queued  # no total yet: an indeterminate bar

    ImportJob.objects.filter(pk=job.pk).update(status="running", stage="reading", done=1500)
    assert "Reading the files: 1500 records read." in text(client.get(url))

    ImportJob.objects.filter(pk=job.pk).update(stage="writing", done=300, total=1200)
    writing = client.get(url)
    assert writing.context["job"].percent == 25
    page = text(writing)
    assert 'value="300" max="1200"' in page and "300 of 1200 rows written (25 %)." in page and "hx-get" in page


def test_the_three_ofac_files_keep_their_names_through_the_job(rule_admin, django_capture_on_commit_callbacks):
    # The OFAC parser tells sdn, alt and add apart by their names; the job stores files under names of its own.
    sdn = '36,"AEROCARIBBEAN AIRLINES",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
    sdn += '173,"ANGLO-CARIBBEAN CO., LTD.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n'
    alt = '36,12,"aka","AERO-CARIBBEAN",-0- \n'
    add = '173,130,"Ibex House, The Minories","London EC3N 1DY","United Kingdom",-0- \n'
    files = [upload("sdn.csv", sdn), upload("alt.csv", alt), upload("add.csv", add)]
    with django_capture_on_commit_callbacks(execute=True):
        post_list(client_for(rule_admin), *files, list_key="OFAC-SDN", fmt="ofac-sdn")
    job = ImportJob.objects.get()
    assert job.status == "done", job.message
    version = job.list_version
    assert [f["name"] for f in version.source_files] == ["sdn.csv", "alt.csv", "add.csv"]
    entries = {e.entry_id: e for e in ListEntry.objects.filter(version=version)}
    assert entries["36"].aliases == [{"name": "AERO-CARIBBEAN", "strength": "strong"}]
    assert entries["173"].countries == ["GB"] and "London EC3N 1DY" in entries["173"].addresses[0]
    assert job.total == job.done == version.entry_count == 2


def test_a_broken_list_file_fails_the_job_with_the_line_and_field_and_the_old_version_stays(
    rule_admin, tmp_path, django_capture_on_commit_callbacks
):
    good = tmp_path / "list.csv"
    good.write_text(GOOD)
    old = list_import(list_key="TEST-LIST", fmt="csv", paths=[good], actor=None).version
    entries = ListEntry.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        post_list(client_for(rule_admin), upload("list-v2.csv", BROKEN))
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.list_version is None
    assert job.errors == [
        {"path": "list-v2.csv line 3: country", "messages": ["not an ISO 3166-1 alpha-2 code: 'Russia'"]}
    ]
    old.refresh_from_db()
    assert old.status == "current" and ListVersion.objects.count() == 1 and ListEntry.objects.count() == entries
    assert verbs(job) == ["import_job.queued", "import_job.failed"]

    page = text(client_for(rule_admin).get(reverse("imports:job", kwargs={"pk": job.pk})))
    assert "Nothing was imported" in page and "The version of TEST-LIST in force is unchanged." in page
    assert '<code class="text-danger-emphasis">list-v2.csv line 3: country</code>' in page


def test_what_can_be_checked_at_once_is_refused_on_the_form_and_nothing_is_stored(rule_admin, tmp_path):
    good = tmp_path / "list.csv"
    good.write_text(GOOD)
    list_import(list_key="TEST-LIST", fmt="csv", paths=[good], actor=None)
    client = client_for(rule_admin)
    events = AuditEvent.objects.count()

    two = post_list(client, upload("a.csv", GOOD), upload("b.csv", GOOD))
    assert two.status_code == 200 and two.context["form"].errors["files"] == ["This format is one file."]
    other_format = post_list(client, upload("a.csv", GOOD), fmt="csl")
    assert other_format.context["form"].errors["fmt"] == ["TEST-LIST is imported as csv, not csl."]
    bad_key = post_list(client, upload("a.csv", GOOD), list_key="test list")
    assert bad_key.context["form"].errors["list_key"]
    empty = post_list(client, upload("a.csv", b""))
    assert empty.context["form"].errors["files"]
    assert not ImportJob.objects.exists() and AuditEvent.objects.count() == events


def test_the_refusals_are_in_the_readers_language(rule_admin, tmp_path, settings):
    good = tmp_path / "list.csv"
    good.write_text(GOOD)
    list_import(list_key="TEST-LIST", fmt="csv", paths=[good], actor=None)
    client = client_for(rule_admin)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    two = post_list(client, upload("a.csv", GOOD), upload("b.csv", GOOD))
    assert two.context["form"].errors["files"] == ["此格式只有一个文件。"]
    other_format = post_list(client, upload("a.csv", GOOD), fmt="csl")
    assert other_format.context["form"].errors["fmt"] == ["TEST-LIST 以 csv 格式导入，而不是 csl。"]
    same_name = post_list(client, upload("sdn.csv", GOOD), upload("SDN.csv", GOOD), list_key="US-SDN", fmt="ofac-sdn")
    assert same_name.context["form"].errors["files"] == ["有两个文件同名。"]
    assert not ImportJob.objects.exists()


def test_a_job_that_cannot_be_written_leaves_no_stored_file_behind(rule_admin, monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)

    def database_gone(**kwargs):
        raise OperationalError("connection to server lost")

    # The job's row is written, then its audit event fails: the transaction takes the row back, and the service
    # removes the file it stored for the job.
    monkeypatch.setattr(import_services, "audit_record", database_gone)
    with pytest.raises(OperationalError):
        import_job_submit_list(actor=rule_admin, list_key="TEST-LIST", fmt="csv", uploads=[("list.csv", GOOD.encode())])
    assert not ImportJob.objects.exists()
    assert [files for _, _, files in os.walk(tmp_path) if files] == []

    # The same upload, written: its file is there.
    monkeypatch.undo()
    settings.MEDIA_ROOT = str(tmp_path)
    job = import_job_submit_list(
        actor=rule_admin, list_key="TEST-LIST", fmt="csv", uploads=[("list.csv", GOOD.encode())]
    )
    assert (tmp_path / job.files[0]["stored"]).read_bytes() == GOOD.encode()


def test_a_job_runs_once_however_often_its_task_is_delivered(rule_admin, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = import_job_submit_list(
            actor=rule_admin, list_key="TEST-LIST", fmt="csv", uploads=[("a.csv", GOOD.encode())]
        )
    assert import_job_run(job_id=job.pk).status == "done"
    assert import_job_run(job_id=job.pk).status == "done"
    assert ListVersion.objects.count() == 1 and verbs(job).count("import_job.done") == 1


def test_a_running_job_is_taken_up_again_only_once_it_has_been_silent_for_long(rule_admin):
    from datetime import timedelta

    from django.utils import timezone

    job = import_job_submit_list(actor=rule_admin, list_key="TEST-LIST", fmt="csv", uploads=[("a.csv", GOOD.encode())])
    ImportJob.objects.filter(pk=job.pk).update(status="running", updated_at=timezone.now() - timedelta(minutes=5))
    assert import_job_run(job_id=job.pk).status == "running"  # someone is on it: a second delivery leaves it be
    assert not ListVersion.objects.exists()
    # Its worker died (the import's transaction with it): half an hour without a word, and a redelivery runs it.
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - timedelta(minutes=31))
    assert import_job_run(job_id=job.pk).status == "done"
    assert ListVersion.objects.get().entry_count == 3


def test_a_requester_who_lost_the_role_before_the_job_ran_imports_nothing(rule_admin):
    job = import_job_submit_list(actor=rule_admin, list_key="TEST-LIST", fmt="csv", uploads=[("a.csv", GOOD.encode())])
    rule_admin.groups.clear()
    rule_admin.__dict__.pop("role_set", None)
    job = import_job_run(job_id=job.pk)
    assert job.status == "failed" and "Only rule admins" in job.message and not ListVersion.objects.exists()


# --- a rule pack ------------------------------------------------------------------------------------------------


@pytest.fixture
def seeded(db) -> RuleSetVersion:
    call_command("load_rule_pack", "--publish")
    return rule_set_in_force()


def test_a_rule_pack_upload_is_written_by_the_job_and_links_to_the_draft(
    seeded, rule_admin, django_capture_on_commit_callbacks
):
    pack = export_pack(seeded)
    pack["version"]["label"] = "2026.7"
    raw = b"\xef\xbb\xbf" + json.dumps(pack, indent=1).encode()  # with a byte-order mark, as some editors save
    body = SimpleUploadedFile("pack.json", raw, "application/json")
    client = client_for(rule_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("rules:import"), {"file": body, "label": ""})
    job = ImportJob.objects.get(kind="rule_pack")
    assert response["Location"] == reverse("imports:job", kwargs={"pk": job.pk})
    draft = RuleSetVersion.objects.get(label="2026.7")
    assert (job.status, job.rule_set_version, job.done, job.total) == ("done", draft, job.total, job.total)
    assert job.total == sum(len(v) for v in pack.values() if isinstance(v, list)) > 100
    assert draft.is_draft and export_pack(draft)["rules"] == pack["rules"]
    assert job.files[0]["sha256"] == hashlib.sha256(raw).hexdigest()  # the file kept is the file uploaded
    page = text(client.get(reverse("imports:job", kwargs={"pk": job.pk})))
    assert f'<a href="{reverse("rules:detail", kwargs={"label": "2026.7"})}">' in page
    assert verbs(job) == ["import_job.queued", "import_job.done"]


def test_a_rule_pack_that_fails_in_the_job_shows_its_paths_and_creates_no_draft(seeded, rule_admin):
    broken = copy.deepcopy(export_pack(seeded))
    broken["version"]["label"] = "broken"
    broken["rules"][0]["provision"] = "CN-NOPE"
    # Stored as a job directly: the upload page refuses such a pack before any job exists.
    job = ImportJob.objects.create(
        kind="rule_pack", requested_by=rule_admin, files=_store([("pack.json", json.dumps(broken).encode())])
    )
    versions = RuleSetVersion.objects.count()
    job = import_job_run(job_id=job.pk)
    assert job.status == "failed" and [e["path"] for e in job.errors] == ["rules[0].provision"]
    assert RuleSetVersion.objects.count() == versions and rule_set_in_force() == seeded
    page = text(client_for(rule_admin).get(reverse("imports:job", kwargs={"pk": job.pk})))
    assert '<code class="text-danger-emphasis">rules[0].provision</code>' in page and "No draft was created." in page


# --- who may ----------------------------------------------------------------------------------------------------


def test_rule_admins_upload_auditors_read_and_everyone_else_is_refused(
    rule_admin, auditor, reviewer, senior_reviewer, officer
):
    job = import_job_submit_list(actor=rule_admin, list_key="TEST-LIST", fmt="csv", uploads=[("a.csv", GOOD.encode())])
    pages = [reverse("imports:jobs"), reverse("imports:job", kwargs={"pk": job.pk})]
    pages.append(reverse("imports:job-progress", kwargs={"pk": job.pk}))
    for url in pages:
        assert client_for(rule_admin).get(url).status_code == 200
        assert client_for(auditor).get(url).status_code == 200
        for user in (reviewer, senior_reviewer, officer):
            assert client_for(user).get(url).status_code == 403, (url, user)
    assert client_for(auditor).get(reverse("imports:list-new")).status_code == 403
    assert post_list(client_for(auditor), upload("a.csv", GOOD)).status_code == 403
    assert ImportJob.objects.count() == 1
    missing = client_for(rule_admin).get(reverse("imports:job", kwargs={"pk": job.pk + 1000}))
    assert missing.status_code == 404
    with pytest.raises(Exception, match="Only rule admins"):
        import_job_submit_list(actor=auditor, list_key="TEST-LIST", fmt="csv", uploads=[("a.csv", GOOD.encode())])


def test_the_rules_pages_and_the_menu_lead_to_the_imports(seeded, rule_admin, auditor):
    admin_page = client_for(rule_admin).get(reverse("rules:list")).content.decode()
    assert reverse("imports:list-new") in admin_page and reverse("imports:jobs") in admin_page
    auditor_page = client_for(auditor).get(reverse("rules:list")).content.decode()
    assert reverse("imports:jobs") in auditor_page and reverse("imports:list-new") not in auditor_page
