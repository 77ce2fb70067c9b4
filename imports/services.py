"""Import jobs: a restricted-party list or a rule pack uploaded on a page, stored, queued once the job is committed,
and run by a worker through the same services the command line uses, its progress written as it goes.

What can be checked at once is checked before the job exists (the rule-admin role, the list's name and format,
the number of files; a rule pack as a whole, which takes a fraction of a second): such a refusal is an answer on
the form, and nothing is stored. What takes long (parsing a list, writing thousands of rows) runs in the job, and
what goes wrong there (a line of a list file, a label taken meanwhile) ends the job failed with the errors, the
import's own transaction rolled back and the version in force unchanged."""

import hashlib
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date, timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.services import audit_record
from cases.uploads import clean_filename

from .models import ImportJob
from .progress import JobProgress
from .selectors import may_import

MAX_FILE_BYTES = 50 * 1024 * 1024
# A running job whose progress has not moved for this long was left by a worker that died (its import's
# transaction died with it, so nothing was written): a redelivered task may take it up again.
STALE_AFTER = timedelta(minutes=30)
TRANSIENT = (OperationalError, InterfaceError)


class ImportRefused(Exception):
    """Refused before anything was stored; `field` names the form field at fault ("" for the whole form)."""

    def __init__(self, message: str, field: str = ""):
        self.field = field
        super().__init__(message)


def _require_rule_admin(actor: User) -> None:
    if not may_import(actor):
        raise PermissionDenied("Only rule admins may import lists and rule packs.")


def _store(uploads: list[tuple[str, bytes]]) -> list[dict]:
    """Store the files under names the app makes from their content, never from the name the client sent."""
    stored = []
    for name, content in uploads:
        digest = hashlib.sha256(content).hexdigest()
        path = default_storage.save(f"imports/{digest[:2]}/{digest[:24]}", ContentFile(content))
        stored.append({"name": name, "stored": path, "size": len(content), "sha256": digest})
    return stored


def _create(*, kind: str, actor: User, files: list[dict], options: dict) -> ImportJob:
    try:
        job = ImportJob.objects.create(kind=kind, requested_by=actor, files=files, options=options)
        audit_record(
            actor=actor,
            verb="import_job.queued",
            target=job,
            after={"kind": kind, "files": [{k: f[k] for k in ("name", "size", "sha256")} for f in files], **options},
        )
    except BaseException:
        # The files were stored for this job alone (each under its own name): without its row nothing would ever
        # read or remove them. The transaction's own rollback takes back the rows.
        for stored in files:
            with suppress(OSError):
                default_storage.delete(stored["stored"])
        raise
    transaction.on_commit(lambda: _enqueue(job.pk), robust=True)
    return job


def _enqueue(job_id: int) -> None:
    from .tasks import import_job_run as task

    task.delay(job_id)


@transaction.atomic
def import_job_submit_list(
    *,
    actor: User,
    list_key: str,
    fmt: str,
    uploads: list[tuple[str, bytes]],
    name: str = "",
    jurisdiction: str = "",
    effective_from: date | None = None,
) -> ImportJob:
    """Queue the import of a new version of a restricted-party list from uploaded files (name, content)."""
    import re

    from parties.importers import PARSERS
    from parties.models import RestrictedList
    from parties.services import LIST_KEY_PATTERN

    _require_rule_admin(actor)
    if not re.match(LIST_KEY_PATTERN, list_key or ""):
        raise ImportRefused(_("Use capitals, digits, '-' and '_' (e.g. US-CSL)."), "list_key")
    if fmt not in PARSERS:
        raise ImportRefused(_("Unknown format; known: %(formats)s.") % {"formats": ", ".join(PARSERS)}, "fmt")
    existing = RestrictedList.objects.filter(key=list_key).first()
    if existing is not None and existing.format != fmt:
        raise ImportRefused(
            _("%(list)s is imported as %(format)s, not %(requested)s.")
            % {"list": list_key, "format": existing.format, "requested": fmt},
            "fmt",
        )
    uploads = [(clean_filename(n), c) for n, c in uploads]
    if not uploads:
        raise ImportRefused(_("Choose the list's file."), "files")
    if fmt != "ofac-sdn" and len(uploads) != 1:
        raise ImportRefused(_("This format is one file."), "files")
    if len(uploads) > 3:
        raise ImportRefused(_("At most three files: sdn.csv, alt.csv and add.csv."), "files")
    for file_name, content in uploads:
        if not file_name:
            raise ImportRefused(_("A file has no usable name."), "files")
        if not content:
            raise ImportRefused(_("%(name)s is empty.") % {"name": file_name}, "files")
        if len(content) > MAX_FILE_BYTES:
            raise ImportRefused(
                _("%(name)s is larger than %(megabytes)s MB.")
                % {"name": file_name, "megabytes": MAX_FILE_BYTES // (1024 * 1024)},
                "files",
            )
    if len({n.lower() for n, _content in uploads}) != len(uploads):
        raise ImportRefused(_("Two files have the same name."), "files")
    options = {
        "list_key": list_key,
        "format": fmt,
        "name": name,
        "jurisdiction": jurisdiction,
        "effective_from": effective_from.isoformat() if effective_from else None,
    }
    return _create(kind=ImportJob.Kind.LIST, actor=actor, files=_store(uploads), options=options)


@transaction.atomic
def import_job_submit_rule_pack(
    *, actor: User, pack: object, content: bytes, file_name: str, label: str = ""
) -> ImportJob:
    """Queue the import of a rule pack as a new draft: `content` is the file as uploaded, `pack` its parsed JSON.
    The pack is validated here, as a whole, so a pack with problems raises RulePackInvalid with every path at
    fault and stores nothing."""
    from screening.rulepack import validate_pack
    from screening.services import RulePackInvalid

    _require_rule_admin(actor)
    errors = validate_pack(pack)
    if errors:
        raise RulePackInvalid(errors)
    files = _store([(clean_filename(file_name) or "pack.json", content)])
    return _create(kind=ImportJob.Kind.RULE_PACK, actor=actor, files=files, options={"label": label})


# --- running a job --------------------------------------------------------------------------------------------


def _claim(job_id: int) -> bool:
    """Queued → running, or running but silent for STALE_AFTER → running again: of two deliveries of the task
    exactly one wins, so a list is never imported twice by one job."""
    now = timezone.now()
    return bool(
        ImportJob.objects.filter(
            Q(status=ImportJob.Status.QUEUED) | Q(status=ImportJob.Status.RUNNING, updated_at__lt=now - STALE_AFTER),
            pk=job_id,
        ).update(
            status=ImportJob.Status.RUNNING,
            stage=ImportJob.Stage.READING,
            done=0,
            total=0,
            started_at=now,
            updated_at=now,
        )
    )


@contextmanager
def _files_on_disk(job: ImportJob) -> Iterator[list[Path]]:
    """The stored files under the names they were uploaded with: the OFAC parser tells sdn, alt and add apart by
    name, a .gz name must hold gzip, and errors name the file as the admin knows it."""
    with tempfile.TemporaryDirectory(prefix="licensa-import-") as folder:
        paths = []
        for f in job.files:
            path = Path(folder) / f["name"]
            with default_storage.open(f["stored"], "rb") as source:
                path.write_bytes(source.read())
            paths.append(path)
        yield paths


def _finish(job: ImportJob, *, ok: bool, message: str, errors=(), summary=None, **links) -> ImportJob:
    status = ImportJob.Status.DONE if ok else ImportJob.Status.FAILED
    summary, errors, now = summary or {}, list(errors), timezone.now()
    with transaction.atomic():
        fields = {
            "status": status,
            "message": message,
            "errors": errors,
            "summary": summary,
            "finished_at": now,
            "updated_at": now,
            **links,
        }
        if ok:
            fields["done"] = fields["total"] = summary.get("rows", 0)
        if ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(**fields) == 1:
            audit_record(
                actor=None,
                verb="import_job.done" if ok else "import_job.failed",
                target=job,
                before={"status": ImportJob.Status.RUNNING},
                after={"status": status, "message": message, "errors": errors[:20], **summary},
            )
    job.refresh_from_db()
    return job


def import_job_run(*, job_id: int) -> ImportJob:
    """Run a queued job once. Idempotent: a job someone else is running, or that has finished, is returned as it
    is. A file or pack at fault ends the job failed with its errors and nothing imported; a lost database puts the
    job back in the queue for the task's retry; anything else fails the job and is raised, to be seen."""
    from parties.importers import ListFileError
    from parties.services import ListImportRefused
    from screening.services import RulePackInvalid

    if not _claim(job_id):
        return ImportJob.objects.get(pk=job_id)
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        with JobProgress(job.pk) as progress:
            if job.kind == ImportJob.Kind.LIST:
                return _run_list(job, progress)
            return _run_rule_pack(job, progress)
    except ListFileError as error:
        where = f"{error.where}: {error.field}" if error.field else error.where
        return _finish(job, ok=False, message=str(error), errors=[{"path": where, "messages": [error.message]}])
    except RulePackInvalid as error:
        errors = [{"path": path, "messages": messages} for path, messages in sorted(error.errors.items())]
        return _finish(job, ok=False, message="The rule pack is not valid.", errors=errors)
    except (ListImportRefused, PermissionDenied) as error:
        return _finish(job, ok=False, message=str(error))
    except TRANSIENT:
        # Back in the queue (if the database lets us say so), for the task's retry to claim it again.
        with suppress(*TRANSIENT):
            ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING).update(
                status=ImportJob.Status.QUEUED, stage=ImportJob.Stage.WAITING, updated_at=timezone.now()
            )
        raise
    except Exception as error:
        _finish(job, ok=False, message=f"The import stopped on an unexpected error ({type(error).__name__}).")
        raise


def _run_list(job: ImportJob, progress: JobProgress) -> ImportJob:
    from parties.services import list_import

    options = job.options
    with _files_on_disk(job) as paths:
        summary = list_import(
            list_key=options["list_key"],
            fmt=options["format"],
            paths=paths,
            actor=job.requested_by,
            name=options.get("name") or None,
            jurisdiction=options.get("jurisdiction") or "",
            effective_from=date.fromisoformat(options["effective_from"]) if options.get("effective_from") else None,
            progress=progress,
        )
    return _finish(
        job,
        ok=True,
        message=summary.line(),
        summary={
            "rows": summary.entries,
            "version": summary.version.number,
            "added": len(summary.added),
            "removed": len(summary.removed),
            "changed": len(summary.changed),
        },
        list_version=summary.version,
    )


def _run_rule_pack(job: ImportJob, progress: JobProgress) -> ImportJob:
    from screening.packs import pack_row_count
    from screening.services import rule_set_import

    [stored] = job.files
    with default_storage.open(stored["stored"], "rb") as source:
        pack = json.loads(source.read().decode("utf-8-sig"))  # as the upload form read it
    rows = pack_row_count(pack)
    progress.write(stage=ImportJob.Stage.WRITING, done=0, total=rows)
    version = rule_set_import(
        pack=pack, actor=job.requested_by, label=job.options.get("label") or None, progress=progress
    )
    return _finish(
        job,
        ok=True,
        message=f"Rule pack imported as draft {version.label}.",
        summary={"rows": rows, "label": version.label},
        rule_set_version=version,
    )
