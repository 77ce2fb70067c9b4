"""Reads of re-check runs and findings, for the authority's staff only: officers get 404 here (holders hear of
what affects them by e-mail)."""

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import User
from accounts.roles import Role

from .models import Finding, RecheckRun

READER_ROLES = (Role.REVIEWER, Role.SENIOR_REVIEWER, Role.RULE_ADMIN, Role.AUDITOR)


def may_read(user: User) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_role(*READER_ROLES)


def run_list_for_user(*, user: User) -> QuerySet[RecheckRun]:
    if not may_read(user):
        raise Http404
    return RecheckRun.objects.select_related("old_version", "new_version", "list_version__restricted_list")


def run_get_for_user(*, user: User, pk: int) -> RecheckRun:
    run = run_list_for_user(user=user).filter(pk=pk).first()
    if run is None:
        raise Http404
    return run


def finding_list_for_user(
    *, user: User, direction: str = "", status: str = "", run: int | None = None, q: str = ""
) -> QuerySet[Finding]:
    if not may_read(user):
        raise Http404
    qs = Finding.objects.select_related("permit__organisation", "run", "triaged_by", "new_case")
    if direction:
        qs = qs.filter(direction=direction)
    if status:
        qs = qs.filter(status=status)
    if run:
        qs = qs.filter(run_id=run)
    if q:
        qs = qs.filter(permit__number__icontains=q.strip()) | qs.filter(permit__organisation__name__icontains=q.strip())
    return qs.order_by("-created_at", "-id")


def finding_get_for_user(*, user: User, pk: int) -> Finding:
    finding = finding_list_for_user(user=user).select_related("permit__case", "run__new_version").filter(pk=pk).first()
    if finding is None:
        raise Http404
    return finding
