"""Import pages: the jobs, a list upload that queues a job, and a job's page whose progress bar htmx refreshes
until the job ends with its summary or its errors. Rule admins upload; rule admins and auditors read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import selectors
from .forms import ListImportForm
from .services import ImportRefused, import_job_submit_list


@login_required
def job_list(request):
    jobs = selectors.job_list_for_user(user=request.user)
    page = Paginator(jobs, 25).get_page(request.GET.get("page"))
    return render(request, "imports/job_list.html", {"page": page, "may_import": selectors.may_import(request.user)})


@login_required
def list_new(request):
    if not selectors.may_import(request.user):
        raise PermissionDenied(_("Only rule admins import restricted-party lists."))
    form = ListImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            job = import_job_submit_list(
                actor=request.user,
                list_key=data["list_key"],
                fmt=data["fmt"],
                uploads=form.uploads(),
                name=data["name"],
                jurisdiction=data["jurisdiction"],
                effective_from=data["effective_from"],
            )
        except ImportRefused as error:
            form.add_error(error.field or None, str(error))
        else:
            messages.success(request, _("Import %(id)s queued.") % {"id": job.pk})
            return redirect("imports:job", pk=job.pk)
    return render(request, "imports/list_new.html", {"form": form, "current": selectors.lists_in_force()})


def _job_context(request, pk: int) -> dict:
    job = selectors.job_get_for_user(user=request.user, pk=pk)
    return {"job": job, "recheck": selectors.recheck_run_for(job) if job.finished else None}


@login_required
def job_detail(request, pk: int):
    return render(request, "imports/job_detail.html", _job_context(request, pk))


@login_required
def job_progress(request, pk: int):
    return render(request, "imports/_progress.html", _job_context(request, pk))
