"""Reads of import jobs: rule admins, who run them, and auditors, who read what rule admins do (as on the rule-set
pages). Everyone else signed in gets 403, as on those pages: a job is the authority's, no organisation's."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import Role

from .models import ImportJob

READER_ROLES = (Role.RULE_ADMIN, Role.AUDITOR)


def may_read(user: User) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_role(*READER_ROLES)


def may_import(user: User) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_role(Role.RULE_ADMIN)


def job_list_for_user(*, user: User) -> QuerySet[ImportJob]:
    if not may_read(user):
        raise PermissionDenied("Only rule admins and auditors may see imports.")
    return ImportJob.objects.select_related(
        "requested_by", "list_version__restricted_list", "rule_set_version"
    ).order_by("-created_at", "-id")


def job_get_for_user(*, user: User, pk: int) -> ImportJob:
    job = job_list_for_user(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def recheck_run_for(job: ImportJob):
    """The re-check of permits a list import started, if it started one."""
    if job.list_version_id is None:
        return None
    from rechecks.models import RecheckRun

    return RecheckRun.objects.filter(list_version_id=job.list_version_id).order_by("id").first()


def lists_in_force():
    """Each list's current version, for the upload page."""
    from parties.models import ListVersion

    return (
        ListVersion.objects.filter(status=ListVersion.Status.CURRENT)
        .select_related("restricted_list")
        .order_by("restricted_list__key")
    )
