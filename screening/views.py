"""The rule admins' pages: versions, their rows, editing a draft, diff, dry run, publishing, import and export.

Thin: forms parse what was typed or uploaded, services write (and check the rule-admin role again), and every
page is built from the version's rule pack (`export_pack`), which loads a version in a fixed number of queries.
Rule admins read and write; auditors, reviewers and senior reviewers read; everyone else gets 403.
"""

import json
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.roles import Role
from imports.services import import_job_submit_rule_pack

from .forms import DiffForm, ImportForm, NewDraftForm, PublishForm, RowForm
from .models import Binds, Instrument, Outcome, RuleSetVersion, RuleType, Verification
from .packs import export_pack
from .rulepack import SECTION_KEYS, diff_packs, validate_pack
from .selectors import NoRuleSet, rule_set_in_force
from .services import (
    RulePackInvalid,
    VersionNotDraft,
    row_key,
    rule_set_create_draft,
    rule_set_dry_run,
    rule_set_publish,
    rule_set_row_delete,
    rule_set_row_save,
    rule_set_validate,
)

READER_ROLES = (Role.RULE_ADMIN, Role.AUDITOR, Role.REVIEWER, Role.SENIOR_REVIEWER)

# The sections in the order the version page shows them, with their names for people.
SECTIONS = {
    "rules": gettext_lazy("Rules"),
    "suspensions": gettext_lazy("Suspensions"),
    "instruments": gettext_lazy("Instruments"),
    "provisions": gettext_lazy("Provisions"),
    "control_entries": gettext_lazy("Control entries"),
    "country_groups": gettext_lazy("Country groups"),
    "licence_types": gettext_lazy("Licence types"),
    "lists": gettext_lazy("Party lists"),
    "jurisdictions": gettext_lazy("Jurisdictions"),
}
ROW_NAMES = {
    "rules": gettext_lazy("rule"),
    "suspensions": gettext_lazy("suspension"),
    "instruments": gettext_lazy("instrument"),
    "provisions": gettext_lazy("provision"),
    "control_entries": gettext_lazy("control entry"),
    "country_groups": gettext_lazy("country group"),
    "licence_types": gettext_lazy("licence type"),
    "lists": gettext_lazy("party list"),
    "jurisdictions": gettext_lazy("jurisdiction"),
}
# What "Add" starts from: the keys every row of the section needs, to be filled in.
SKELETONS = {
    "rules": {
        "code": "",
        "jurisdiction": "",
        "type": "listed_item",
        "provision": "",
        "outcome": "licence_required",
        "binds": "both",
        "summary": "",
        "conditions": {},
    },
    "suspensions": {"key": "", "target": {"rule": ""}, "by": "", "from": "", "to": None, "to_inclusive": True},
    "instruments": {"key": "", "jurisdiction": "", "kind": "announcement", "citation": "", "verification": "inferred"},
    "provisions": {"key": "", "instrument": "", "ref": ""},
    "control_entries": {"jurisdiction": "", "code": "", "description": "", "forms": [], "hs_codes": []},
    "country_groups": {"code": "", "name": "", "members": []},
    "licence_types": {"jurisdiction": "", "code": "", "name": "", "max_validity_days": 365},
    "lists": {"key": "", "jurisdiction": "", "name": "", "entries": []},
    "jurisdictions": {"code": "", "name": "", "home": []},
}
VERIFICATION_LABELS = dict(Verification.choices)
OUTCOME_LABELS = dict(Outcome.choices)
TYPE_LABELS = dict(RuleType.choices)
BINDS_LABELS = dict(Binds.choices)
KIND_LABELS = dict(Instrument.Kind.choices)


# --- access ----------------------------------------------------------------------------------------------------


def user_may_read_rule_sets(user) -> bool:
    return user.is_authenticated and user.has_role(*READER_ROLES)


def user_may_edit_rule_sets(user) -> bool:
    return user.is_authenticated and user.has_role(Role.RULE_ADMIN)


def _version(label: str) -> RuleSetVersion:
    return get_object_or_404(
        RuleSetVersion.objects.select_related("based_on", "created_by", "published_by"), label=label
    )


def readers(view):
    """Use under @login_required: 403 for users who may not read rule sets; the view gets the version."""

    @wraps(view)
    def wrapper(request, label, *args, **kwargs):
        if not user_may_read_rule_sets(request.user):
            raise PermissionDenied(_("Only rule admins, reviewers and auditors may see rule sets."))
        return view(request, _version(label), *args, **kwargs)

    return wrapper


def admins(view):
    """Use under @login_required: 403 for anyone but a rule admin; the view gets the version."""

    @wraps(view)
    def wrapper(request, label, *args, **kwargs):
        if not user_may_edit_rule_sets(request.user):
            raise PermissionDenied(_("Only rule admins may change rule sets."))
        return view(request, _version(label), *args, **kwargs)

    return wrapper


def _in_force() -> RuleSetVersion | None:
    try:
        return rule_set_in_force()
    except NoRuleSet:
        return None


def version_url(version: RuleSetVersion, name: str = "detail", **kwargs) -> str:
    return reverse(f"rules:{name}", kwargs={"label": version.label, **kwargs})


def _section(section: str) -> str:
    if section not in SECTION_KEYS:
        raise Http404(_("No such section."))
    return section


def _errors(errors: dict[str, list[str]]) -> list[dict]:
    """Errors by JSON path, in path order, for the templates."""
    return [{"path": path or _("(the whole document)"), "messages": msgs} for path, msgs in sorted(errors.items())]


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _compact(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _safe_url(url: str | None) -> str:
    # Source links are typed by admins; only web addresses become links (never javascript: or data:).
    return url if url and url.lower().startswith(("https://", "http://")) else ""


# --- the version as a page -------------------------------------------------------------------------------------


def _sections_for_page(pack: dict) -> dict:
    """Each section's rows with their key, and the verification and dates they have or inherit: a rule without
    its own verification or dates takes its provision's, and a provision its instrument's."""
    instruments = {i["key"]: i for i in pack.get("instruments", [])}
    provisions = {p["key"]: p for p in pack.get("provisions", [])}

    def cited(key: str | None) -> tuple[dict | None, dict | None]:
        if key in provisions:
            provision = provisions[key]
            return provision, instruments.get(provision["instrument"])
        return None, instruments.get(key)

    def inherited(row: dict, field: str, provision: dict | None, instrument: dict | None) -> tuple:
        for source, name in ((row, ""), (provision, "provision"), (instrument, "instrument")):
            if source and source.get(field):
                return source[field], name
        return None, ""

    sections: dict[str, list[dict]] = {}
    for section in SECTIONS:
        rows = []
        for data in pack.get(section, []):
            if section == "provisions":
                provision, instrument = None, instruments.get(data["instrument"])
            elif section == "instruments":
                provision, instrument = None, None
            else:
                provision, instrument = cited(data.get("provision"))
            level, level_from = inherited(data, "verification", provision, instrument)
            starts, starts_from = inherited(data, "effective_from", provision, instrument)
            ends, ends_from = inherited(data, "effective_to", provision, instrument)
            rows.append(
                {
                    "key": row_key(section, data),
                    "data": data,
                    # Suspensions, groups and lists carry their verification only on themselves.
                    "verification": level or "",
                    "verification_label": VERIFICATION_LABELS.get(level, _("not stated")),
                    "verification_from": level_from,
                    # Jurisdictions are not taken from a legal text, so they carry no verification to check.
                    "needs_check": section != "jurisdictions" and level != Verification.TEXT,
                    "effective_from": starts,
                    "effective_from_inherited": bool(starts_from),
                    "effective_to": ends,
                    "effective_to_inherited": bool(ends_from),
                    "source_link": _safe_url(data.get("source_url") or data.get("source")),
                    "outcome_label": OUTCOME_LABELS.get(data.get("outcome"), data.get("outcome")),
                    "type_label": TYPE_LABELS.get(data.get("type"), data.get("type")),
                    "binds_label": BINDS_LABELS.get(data.get("binds"), data.get("binds")),
                    "kind_label": KIND_LABELS.get(data.get("kind"), data.get("kind")),
                    "citation": " ".join(
                        part for part in ((instrument or {}).get("citation"), (provision or {}).get("ref")) if part
                    ),
                    "target_kind": next(iter(data["target"]), "") if section == "suspensions" else "",
                    "target": next(iter(data["target"].values()), "") if section == "suspensions" else "",
                    "entry_count": len(data.get("entries", [])) if section == "lists" else None,
                }
            )
        sections[section] = rows
    return sections


def _rules_by_jurisdiction(pack: dict, rules: list[dict]) -> list[dict]:
    names = {j["code"]: j["name"] for j in pack.get("jurisdictions", [])}
    groups: dict[str, list[dict]] = {}
    for row in rules:
        groups.setdefault(row["data"]["jurisdiction"], []).append(row)
    return [{"code": code, "name": names.get(code, code), "rows": rows} for code, rows in groups.items()]


def _detail_context(request: HttpRequest, version: RuleSetVersion, **extra) -> dict:
    pack = export_pack(version)
    sections = _sections_for_page(pack)
    may_edit = user_may_edit_rule_sets(request.user) and version.is_draft
    in_force = _in_force()
    return {
        "version": version,
        "in_force": in_force is not None and in_force.pk == version.pk,
        "may_edit": may_edit,
        "may_admin": user_may_edit_rule_sets(request.user),
        "sections": [
            {
                "name": name,
                "title": title,
                "row_name": ROW_NAMES[name],
                "rows": sections[name],
                "needs_check": sum(1 for row in sections[name] if row["needs_check"]),
            }
            for name, title in SECTIONS.items()
        ],
        "rule_groups": _rules_by_jurisdiction(pack, sections["rules"]),
        "publish_form": PublishForm(initial={"revision": version.revision}) if may_edit else None,
        **extra,
    }


# --- list, new draft, import -----------------------------------------------------------------------------------


def _list_page(request: HttpRequest, *, draft_form=None, import_form=None, import_errors=None) -> HttpResponse:
    if not user_may_read_rule_sets(request.user):
        raise PermissionDenied(_("Only rule admins, reviewers and auditors may see rule sets."))
    versions = list(
        RuleSetVersion.objects.select_related("based_on", "created_by", "published_by").order_by(
            "-published_at", "-created_at", "-id"
        )
    )
    in_force = _in_force()
    may_admin = user_may_edit_rule_sets(request.user)
    if may_admin and draft_form is None:
        draft_form = NewDraftForm(initial={"base": in_force.label if in_force else None})
    return render(
        request,
        "screening/version_list.html",
        {
            "versions": versions,
            "in_force": in_force,
            "may_admin": may_admin,
            "draft_form": draft_form if may_admin else None,
            "import_form": (import_form or ImportForm()) if may_admin else None,
            "import_errors": _errors(import_errors) if import_errors else None,
        },
    )


@login_required
def version_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


def _require_admin(request: HttpRequest) -> None:
    if not user_may_edit_rule_sets(request.user):
        raise PermissionDenied(_("Only rule admins may change rule sets."))


@login_required
@require_POST
def draft_new(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = NewDraftForm(request.POST)
    if not form.is_valid():
        return _list_page(request, draft_form=form)
    draft = rule_set_create_draft(base=form.cleaned_data["base"], label=form.cleaned_data["label"], actor=request.user)
    messages.success(
        request,
        _("Draft %(label)s created from %(base)s. Edit it, validate it, then publish it.")
        % {"label": draft.label, "base": form.cleaned_data["base"].label},
    )
    return redirect(version_url(draft))


@login_required
@require_POST
def pack_import(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _list_page(request, import_form=form)
    # The pack is validated here, in a fraction of a second, so its errors come back with the form; writing its
    # rows can take a while for a large pack, so a worker does that and the job's page shows how far it has got.
    try:
        job = import_job_submit_rule_pack(
            actor=request.user,
            pack=form.pack,
            content=form.content,
            file_name=form.cleaned_data["file"].name,
            label=form.cleaned_data["label"],
        )
    except RulePackInvalid as error:
        return _list_page(request, import_form=form, import_errors=error.errors)
    messages.success(request, _("Rule pack checked; import %(id)s is writing the draft.") % {"id": job.pk})
    return redirect("imports:job", pk=job.pk)


# --- one version -----------------------------------------------------------------------------------------------


@login_required
@readers
def version_detail(request: HttpRequest, version: RuleSetVersion) -> HttpResponse:
    return render(request, "screening/version_detail.html", _detail_context(request, version))


@login_required
@admins
def version_validate(request: HttpRequest, version: RuleSetVersion) -> HttpResponse:
    errors = rule_set_validate(version=version)
    context = _detail_context(request, version, validation={"valid": not errors, "errors": _errors(errors)})
    return render(request, "screening/version_detail.html", context)


@login_required
@require_POST
@admins
def version_publish(request: HttpRequest, version: RuleSetVersion) -> HttpResponse:
    if not version.is_draft:
        messages.error(request, _("%(label)s is published already; it cannot be published again.") % {"label": version})
        return redirect(version_url(version))
    form = PublishForm(request.POST)
    if not form.is_valid():
        return render(request, "screening/version_detail.html", _detail_context(request, version, publish_form=form))
    # Publish what the admin saw: the service refuses when the draft's revision has moved on since.
    version.revision = form.cleaned_data["revision"]
    try:
        version = rule_set_publish(
            version=version, actor=request.user, effective_from=form.cleaned_data["effective_from"]
        )
    except RulePackInvalid as error:
        version.refresh_from_db()
        context = _detail_context(request, version, publish_form=form, publish_errors=_errors(error.errors))
        return render(request, "screening/version_detail.html", context)
    except VersionNotDraft as error:
        messages.error(request, _("Nothing was published: %(reason)s") % {"reason": error})
        return redirect(version_url(version))
    if version.effective_from:
        messages.success(
            request,
            _("%(label)s published; it is in force for new screenings from %(date)s.")
            % {"label": version.label, "date": version.effective_from.isoformat()},
        )
    else:
        messages.success(request, _("%(label)s published and in force.") % {"label": version.label})
    return redirect(version_url(version))


@login_required
@readers
def version_export(request: HttpRequest, version: RuleSetVersion) -> HttpResponse:
    body = json.dumps(export_pack(version), indent=2, ensure_ascii=False) + "\n"
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{version.label}.rulepack.json")
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _display_diff(diff: dict) -> list[dict]:
    out = []
    for section, title in SECTIONS.items():
        part = diff.get(section)
        if not part:
            continue
        out.append(
            {
                "name": section,
                "title": title,
                "added": [{"key": row_key(section, row), "json": _pretty(row)} for row in part["added"]],
                "removed": [{"key": row_key(section, row), "json": _pretty(row)} for row in part["removed"]],
                "changed": [
                    {
                        "key": change["key"],
                        "fields": [
                            {"field": field, "old": _compact(old), "new": _compact(new)}
                            for field, (old, new) in change["fields"].items()
                        ],
                    }
                    for change in part["changed"]
                ],
            }
        )
    return out


@login_required
@readers
def version_diff(request: HttpRequest, version: RuleSetVersion) -> HttpResponse:
    default = version.based_on or _in_force()
    if "against" in request.GET:
        form = DiffForm(request.GET)
    else:
        form = DiffForm(initial={"against": default.label if default else None})
    against = None
    if form.is_bound:
        if form.is_valid():
            against = form.cleaned_data["against"]
    else:
        against = default
    sections = None
    if against is not None:
        sections = _display_diff(diff_packs(export_pack(against), export_pack(version)))
    return render(
        request,
        "screening/diff.html",
        {"version": version, "against": against, "form": form, "sections": sections},
    )


@login_required
@readers
def version_dry_run(request: HttpRequest, version: RuleSetVersion) -> HttpResponse:
    # The cases a dry run examines are submitted ones: their pages open to the authority's case readers, not to a
    # rule admin, who is shown their references without links.
    context: dict = {
        "version": version,
        "result": None,
        "errors": None,
        "base": _in_force(),
        "cases_open": request.user.reads_all_cases,
    }
    if context["base"] is None:
        return render(request, "screening/dry_run.html", context)
    # The engine evaluates only sound rule sets; a draft mid-edit is shown what to fix instead.
    errors = validate_pack(export_pack(version))
    if errors:
        context["errors"] = _errors(errors)
        return render(request, "screening/dry_run.html", context)
    result = rule_set_dry_run(draft=version, base=context["base"])
    for change in [*result["cases_changed"], *result["permits_changed"]]:
        change["old_label"] = OUTCOME_LABELS.get(change["old_outcome"], change["old_outcome"])
        change["new_label"] = OUTCOME_LABELS.get(change["new_outcome"], change["new_outcome"])
    context["result"] = result
    return render(request, "screening/dry_run.html", context)


# --- rows ------------------------------------------------------------------------------------------------------


def _find_row(pack: dict, section: str, key: str) -> dict:
    row = next((r for r in pack.get(section, []) if row_key(section, r) == key), None)
    if row is None:
        raise Http404(_("No such row."))
    return row


def _row_page(request, version, section, key, form, *, row_errors=None, stale=False, status=200) -> HttpResponse:
    if row_errors or form.errors.get("row"):
        # The textarea is marked invalid and points at the messages beside it, for screen readers too.
        form.fields["row"].widget.attrs.update({"class": "form-control font-monospace is-invalid"})
        form.fields["row"].widget.attrs["aria-describedby"] = "row-help row-errors"
    return render(
        request,
        "screening/row_edit.html",
        {
            "version": version,
            "section": section,
            "section_title": SECTIONS[section],
            "row_name": ROW_NAMES[section],
            "key": key,
            "form": form,
            "editable": user_may_edit_rule_sets(request.user) and version.is_draft,
            "row_errors": _errors(row_errors) if row_errors else None,
            "stale": stale,
            "choices": {
                "types": RuleType.choices,
                "outcomes": Outcome.choices,
                "binds": Binds.choices,
                "verification": Verification.choices,
            }
            if section == "rules"
            else None,
        },
        status=status,
    )


def _save_row(request, version, section, key, current: dict | None) -> HttpResponse:
    """POST of the row form: save through the service, or show every problem beside the JSON."""
    if not version.is_draft:
        messages.error(request, _("%(label)s is published: start a new draft to change it.") % {"label": version})
        return redirect(version_url(version))
    form = RowForm(request.POST)
    if not form.is_valid():
        return _row_page(request, version, section, key, form)
    if current is not None and form.cleaned_data["original"] is None:
        form.add_error(None, _("The page is missing the row as you opened it. Reload the page and try again."))
        return _row_page(request, version, section, key, form)
    if current is not None and form.cleaned_data["original"] != current:
        form.add_error(None, _("Someone changed this row since you opened it. Nothing was saved."))
        return _row_page(request, version, section, key, form, stale=True, status=409)
    try:
        row = rule_set_row_save(
            version=version, actor=request.user, section=section, row=form.cleaned_data["row"], key=key
        )
    except RulePackInvalid as error:
        return _row_page(request, version, section, key, form, row_errors=error.errors)
    except VersionNotDraft as error:
        messages.error(request, str(error))
        return redirect(version_url(version))
    messages.success(
        request,
        _("%(row)s %(key)s saved in draft %(label)s.")
        % {"row": str(ROW_NAMES[section]).capitalize(), "key": row_key(section, row), "label": version.label},
    )
    return redirect(version_url(version) + f"#section-{section}")


@login_required
@readers
def row_edit(request: HttpRequest, version: RuleSetVersion, section: str, key: str) -> HttpResponse:
    """One row as rule-pack JSON: editable for a rule admin in a draft, read-only for everyone else."""
    section = _section(section)
    current = _find_row(export_pack(version), section, key)
    if request.method == "POST":
        _require_admin(request)
        return _save_row(request, version, section, key, current)
    form = RowForm(initial={"row": _pretty(current), "original": json.dumps(current, ensure_ascii=False)})
    return _row_page(request, version, section, key, form)


@login_required
@admins
def row_new(request: HttpRequest, version: RuleSetVersion, section: str) -> HttpResponse:
    section = _section(section)
    if request.method == "POST":
        return _save_row(request, version, section, None, None)
    if not version.is_draft:
        messages.error(request, _("%(label)s is published: start a new draft to change it.") % {"label": version})
        return redirect(version_url(version))
    start = SKELETONS[section]
    if request.GET.get("copy"):
        start = _find_row(export_pack(version), section, request.GET["copy"])
    form = RowForm(initial={"row": _pretty(start)})
    return _row_page(request, version, section, None, form)


@login_required
@require_POST
@admins
def row_delete(request: HttpRequest, version: RuleSetVersion, section: str, key: str) -> HttpResponse:
    section = _section(section)
    try:
        rule_set_row_delete(version=version, actor=request.user, section=section, key=key)
    except VersionNotDraft as error:
        messages.error(request, str(error))
        return redirect(version_url(version))
    except RulePackInvalid as error:
        messages.error(request, "; ".join(m for msgs in error.errors.values() for m in msgs))
        return redirect(version_url(version))
    messages.success(
        request,
        _("%(row)s %(key)s deleted from draft %(label)s. Validate the draft: rows that named it now say so.")
        % {"row": str(ROW_NAMES[section]).capitalize(), "key": key, "label": version.label},
    )
    return redirect(version_url(version) + f"#section-{section}")
