"""Writes for permits: issue, the lifecycle transitions, and shipments drawn against a permit."""

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from audit.services import audit_record
from cases.models import Case
from cases.vocab import CaseStatus, PartyRole
from config.sequences import next_in_year
from screening.models import LicenceType, Screening

from .conditions import STANDARD_CONDITIONS
from .models import Permit, PermitItem, PermitNumberCounter, PermitStatus, Shipment, ShipmentLine

PERMIT_NUMBER_PREFIX = "PRM"
ISSUING_ROLES = (Role.REVIEWER, Role.SENIOR_REVIEWER)
# The approval is the decision a permit rests on: nothing else (a refusal, a case still in review) is issued.
ISSUABLE = CaseStatus.APPROVED


class PermitChanged(Exception):
    """Someone else changed the permit since it was read; nothing was written."""


class TransitionNotAllowed(Exception):
    """The action is not allowed from the permit's current status, or not to this actor."""


def _next_number(year: int) -> str:
    return f"{PERMIT_NUMBER_PREFIX}-{year}-{next_in_year(PermitNumberCounter, year):06d}"


def _licence_type_for(case: Case, screening: Screening) -> LicenceType:
    # The licence type is read from the rule-set version the case was decided under, so its maximum validity and
    # tolerance are the ones in force for that decision.
    types = LicenceType.objects.filter(version=screening.version, code=case.licence_type)
    chosen = types.filter(jurisdiction=case.organisation.country).first() or types.first()
    if chosen is None:
        raise ValidationError(
            _("Rule set %(label)s defines no licence type '%(licence_type)s'; a permit cannot be issued under it.")
            % {"label": screening.version.label, "licence_type": case.licence_type}
        )
    return chosen


def _conditions(codes: list[str]) -> list[dict[str, str]]:
    unknown = [c for c in codes if c not in STANDARD_CONDITIONS]
    if unknown:
        raise ValidationError({"conditions": [f"Unknown standard condition: {', '.join(unknown)}."]})
    return [{"code": c, "text": STANDARD_CONDITIONS[c]} for c in dict.fromkeys(codes)]


def permit_snapshot(permit: Permit) -> dict:
    return {
        "number": permit.number,
        "status": permit.status,
        "valid_from": permit.valid_from.isoformat(),
        "valid_to": permit.valid_to.isoformat(),
        "rule_set": permit.rule_set.label,
        "items": [
            {
                "description": i.description,
                "control_code": i.control_code,
                "quantity": {"amount": str(i.quantity_limit), "unit": i.quantity_unit},
                "value": {"amount": str(i.value_limit), "currency": i.value_currency},
            }
            for i in permit.items.all()
        ],
        "conditions": [c["code"] for c in permit.standard_conditions],
        "conditions_text": permit.conditions_text,
    }


@transaction.atomic
def permit_issue(
    *,
    case: Case,
    actor: Any,
    valid_from: date,
    conditions: dict | None = None,
    validity_days: int | None = None,
) -> Permit:
    """Issue the permit for an approved case, under the rule-set version of its latest screening.

    Approval calls this itself (`permit_issue_on_approval`); called directly it issues the permit of a case
    approved before approval issued permits. `conditions` is {"standard": [codes from the library],
    "text": "free text"}. Validity runs from `valid_from` for `validity_days` (at most, and by default, the
    licence type's maximum). The system (actor None) never issues: a permit always names the person behind it."""
    if not getattr(actor, "is_authenticated", False) or not actor.has_role(*ISSUING_ROLES):
        raise PermissionDenied(_("Only reviewers issue permits."))
    case = Case.objects.select_for_update().select_related("organisation").get(pk=case.pk)
    if case.status != ISSUABLE:
        raise ValidationError(
            _("A permit is issued only for an approved case; %(reference)s is %(status)s.")
            % {"reference": case.reference, "status": case.get_status_display().lower()}
        )
    if Permit.objects.filter(case=case).exists():
        raise ValidationError(_("Case %(reference)s already has a permit.") % {"reference": case.reference})
    screening = Screening.objects.filter(case=case).select_related("version").first()
    if screening is None:
        raise ValidationError(
            _("Case %(reference)s has not been screened; a permit needs a decision to rest on.")
            % {"reference": case.reference}
        )
    licence_type = _licence_type_for(case, screening)
    conditions = conditions or {}
    standard = _conditions(list(conditions.get("standard", [])))
    text = str(conditions.get("text", "")).strip()
    if validity_days is not None and validity_days < 1:
        raise ValidationError({"validity_days": [_("A permit is valid for at least one day.")]})
    # A longer request is clipped to the maximum the licence type allows, not refused: the reviewer decides
    # within the law, and the law sets the ceiling.
    days = min(validity_days or licence_type.max_validity_days, licence_type.max_validity_days)
    items = list(case.items.all())
    if not items:
        raise ValidationError(_("Case %(reference)s has no items to permit.") % {"reference": case.reference})
    missing = [
        str(n)
        for n, i in enumerate(items, 1)
        if i.quantity_amount is None or i.value_amount is None or not i.value_currency
    ]
    if missing:
        raise ValidationError(
            f"Every line needs a quantity and a value to set the permit's limits (lines {', '.join(missing)})."
        )
    end_user = case.parties.filter(role=PartyRole.END_USER).first()
    if end_user is None:
        raise ValidationError(_("Case %(reference)s names no end user.") % {"reference": case.reference})
    permit = Permit.objects.create(
        number=_next_number(timezone.localdate().year),
        organisation=case.organisation,
        case=case,
        rule_set=screening.version,
        screening=screening,
        licence_type=licence_type,
        destination_country=case.destination_country,
        end_user_name=end_user.name,
        end_user_country=end_user.country,
        valid_from=valid_from,
        # Validity counts the first day: a 365-day permit from 1 January ends on 31 December.
        valid_to=valid_from + timedelta(days=days - 1),
        standard_conditions=standard,
        conditions_text=text,
        issued_by=actor,
    )
    PermitItem.objects.bulk_create(
        PermitItem(
            permit=permit,
            position=n,
            description=i.description,
            control_code=i.control_code,
            quantity_limit=i.quantity_amount,
            quantity_unit=i.quantity_unit,
            value_limit=i.value_amount,
            value_currency=i.value_currency,
        )
        for n, i in enumerate(items)
    )
    audit_record(
        actor=actor,
        verb="permit.issued",
        target=permit,
        case=case,
        organisation=case.organisation,
        after=permit_snapshot(permit),
    )
    if case.amends_permit_id is not None:
        _supersede(old=Permit.objects.get(pk=case.amends_permit_id), new=permit)
    return permit


def _supersede(*, old: Permit, new: Permit) -> None:
    from .workflow import TRANSITIONS, permit_transition

    # A permit that ended meanwhile (expired, used up, revoked) keeps the status it ended with: it is no longer
    # in force either way, and the reason it ended is the more useful record.
    if old.status in TRANSITIONS["supersede"].sources:
        permit_transition(permit=old, action="supersede", actor=None, reason=f"Superseded by permit {new.number}.")


# Approval actions after which a permit is issued, inside the approval's own transaction.
APPROVING_ACTIONS = frozenset({"approve", "countersign_approve"})


def permit_issue_on_approval(case: Case, transition: Any, actor: Any) -> None:
    """cases.workflow listener: the approval issues the permit, or (raising) does not happen at all.

    Valid from the day of the decision; conditions from the latest recommendation. A recommendation carries its
    conditions as free text only, with no standard condition codes, so the permit gets that text and no codes
    from the library: guessing codes from prose would put words in the reviewer's mouth. The permit is issued by
    whoever took the decision (the countersigner, after four eyes)."""
    if transition.action not in APPROVING_ACTIONS:
        return
    from review.models import Recommendation

    recommendation = Recommendation.objects.filter(case=case).first()
    decided_at = (recommendation.countersigned_at if recommendation else None) or (
        recommendation.created_at if recommendation else timezone.now()
    )
    permit_issue(
        case=case,
        actor=actor,
        valid_from=timezone.localdate(decided_at),
        conditions={"text": recommendation.conditions if recommendation else ""},
    )


def _chain(permit: Permit) -> list[Permit]:
    """The permit and the permits it amends, newest first."""
    chain = [permit]
    while chain[-1].case.amends_permit_id is not None and len(chain) < 100:
        chain.append(Permit.objects.select_related("case").get(pk=chain[-1].case.amends_permit_id))
    return chain


OPEN_CASE_STATUSES = frozenset(
    {
        CaseStatus.DRAFT,
        CaseStatus.SUBMITTED,
        CaseStatus.SCREENED,
        CaseStatus.IN_REVIEW,
        CaseStatus.INFORMATION_REQUESTED,
        CaseStatus.AWAITING_COUNTERSIGNATURE,
    }
)


@transaction.atomic
def permit_amendment_start(*, permit: Permit, actor: Any, kind: str) -> Case:
    """An officer of the holder starts an amendment or an extension: a new draft case copied from the permit's
    case, linked to the permit. When that case is approved and its permit issued, this permit is superseded."""
    from cases.models import CaseKind
    from cases.services import case_copy

    if kind not in (CaseKind.AMENDMENT, CaseKind.EXTENSION):
        raise ValidationError({"kind": [_("Choose amendment or extension.")]})
    if not getattr(actor, "is_authenticated", False) or not (
        actor.is_officer and actor.organisation_id == permit.organisation_id
    ):
        raise PermissionDenied(_("Only the permit holder's officers may amend or extend a permit."))
    permit = Permit.objects.select_for_update().select_related("case", "licence_type").get(pk=permit.pk)
    label = CaseKind(kind).label.lower()
    if kind == CaseKind.EXTENSION and permit.status != PermitStatus.ISSUED:
        raise ValidationError(
            _("Permit %(number)s is %(status)s: only a permit in force is extended.")
            % {"number": permit.number, "status": permit.get_status_display().lower()}
        )
    if permit.status not in (PermitStatus.ISSUED, PermitStatus.SUSPENDED):
        raise ValidationError(
            _("Permit %(number)s is %(status)s: it can no longer be amended.")
            % {"number": permit.number, "status": permit.get_status_display().lower()}
        )
    if permit.amendments.filter(status__in=OPEN_CASE_STATUSES).exists():
        raise ValidationError(
            _("Permit %(number)s already has an amendment or extension under way.") % {"number": permit.number}
        )
    if kind == CaseKind.EXTENSION:
        # Every extension along the chain counts, so extending an extension does not reset the count.
        used = sum(1 for p in _chain(permit) if p.case.kind == CaseKind.EXTENSION)
        allowed = permit.licence_type.extensions
        if used >= allowed:
            raise ValidationError(
                _("A %(name)s may be extended %(allowed)s time(s); permit %(number)s has used %(used)s.")
                % {"name": permit.licence_type.name, "allowed": allowed, "number": permit.number, "used": used}
            )
    copy = case_copy(case=permit.case, actor=actor)
    Case.objects.filter(pk=copy.pk).update(kind=kind, amends_permit=permit)
    copy.kind, copy.amends_permit = kind, permit
    for target, case in ((copy, copy), (permit, permit.case)):
        audit_record(
            actor=actor,
            verb=f"permit.{kind}_started",
            target=target,
            case=case,
            organisation=permit.organisation,
            after={"permit": permit.number, "case": copy.reference, "kind": kind},
            message=f"{label.capitalize()} of permit {permit.number} started as case {copy.reference}.",
        )
    return copy


def _amount(raw: Any, places: int) -> Decimal:
    if isinstance(raw, (float, bool)):
        raise ValueError(_('Give the amount as a decimal number, e.g. "12.5".'))
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError(_("Give an amount (0 for none)."))
    try:
        amount = Decimal(str(raw).strip())
    except (InvalidOperation, TypeError):
        raise ValueError(_("'%(value)s' is not a number.") % {"value": raw}) from None
    if not amount.is_finite():
        raise ValueError(_("'%(value)s' is not a number.") % {"value": raw})
    if amount < 0:
        raise ValueError(_("An amount cannot be negative."))
    # The columns hold 18 digits, `places` of them after the point: a larger amount cannot be stored (nor quantized).
    if amount.adjusted() >= 18 - places:
        raise ValueError(_("The amount is too large."))
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(_("At most %(places)s decimal places.") % {"places": places})
    return amount


# The permits a shipment may be recorded against. An expired permit still takes the shipments made while it was
# valid (the date check below); a suspended, revoked, superseded or exhausted one takes none.
SHIPMENTS_RECORDED_ON = (PermitStatus.ISSUED, PermitStatus.EXPIRED)


@transaction.atomic
def shipment_record(*, permit: Permit, actor: Any, shipped_on: date, lines: list[dict]) -> Shipment:
    """Record a shipment drawn against the permit: `lines` are {"item": permit item id, "quantity", "value"}.

    Refused, with nothing written, if the permit is neither issued nor expired, the date falls outside its
    validity, or a line would take the total shipped beyond the line's limit plus the licence type's tolerance.
    The shipment date decides, not the day it is recorded: goods shipped while the permit was valid may be
    recorded after it has expired. The shipment that uses up the last line makes an issued permit exhausted."""
    from .selectors import permit_balance
    from .workflow import permit_transition

    if not getattr(actor, "is_authenticated", False) or not (
        actor.is_officer and actor.organisation_id == permit.organisation_id
    ):
        raise PermissionDenied(_("Only the permit holder's officers record shipments."))
    # The permit row is the lock for its balance: two shipments recorded at once are checked one after the other.
    permit = Permit.objects.select_for_update().select_related("licence_type").get(pk=permit.pk)
    if permit.status not in SHIPMENTS_RECORDED_ON:
        raise ValidationError(
            _("Permit %(number)s is %(status)s; shipments cannot be recorded.")
            % {"number": permit.number, "status": permit.get_status_display().lower()}
        )
    errors: dict[str, list[str]] = {}
    if not permit.valid_from <= shipped_on <= permit.valid_to:
        errors["shipped_on"] = [
            _("The permit is valid from %(valid_from)s to %(valid_to)s.")
            % {"valid_from": permit.valid_from.isoformat(), "valid_to": permit.valid_to.isoformat()}
        ]
    balances = {b.item.pk: b for b in permit_balance(permit=permit)}
    if not lines:
        errors["lines"] = [_("A shipment has at least one line.")]
    parsed: list[tuple[PermitItem, Decimal, Decimal]] = []
    seen: set[int] = set()
    for n, line in enumerate(lines):
        path = f"lines[{n}]"
        balance = balances.get(_int_or_none(line.get("item")))
        if balance is None:
            errors[f"{path}.item"] = [_("Not a line of this permit.")]
            continue
        if balance.item.pk in seen:
            errors[f"{path}.item"] = [_("This permit line appears twice in the shipment.")]
            continue
        seen.add(balance.item.pk)
        amounts = {}
        for field, places in (("quantity", 6), ("value", 2)):
            try:
                amounts[field] = _amount(line.get(field, ""), places)
            except ValueError as exc:
                errors[f"{path}.{field}"] = [str(exc)]
        if len(amounts) < 2:
            continue
        quantity, value = amounts["quantity"], amounts["value"]
        if quantity == 0 and value == 0:
            errors[f"{path}.quantity"] = [_("A line ships some quantity or value.")]
            continue
        item = balance.item
        if balance.quantity_used + quantity > balance.quantity_allowed:
            errors[f"{path}.quantity"] = [
                _exceeds(balance.quantity_remaining, item.quantity_unit, item.quantity_limit, balance.tolerance)
            ]
        if balance.value_used + value > balance.value_allowed:
            errors[f"{path}.value"] = [
                _exceeds(balance.value_remaining, item.value_currency, item.value_limit, balance.tolerance)
            ]
        parsed.append((item, quantity, value))
    if errors:
        raise ValidationError(errors)
    shipment = Shipment.objects.create(permit=permit, shipped_on=shipped_on, recorded_by=actor)
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=shipment, permit_item=item, quantity=quantity, value=value)
        for item, quantity, value in parsed
    )
    audit_record(
        actor=actor,
        verb="permit.shipment_recorded",
        target=permit,
        case=permit.case,
        organisation=permit.organisation,
        after={
            "shipment": shipment.pk,
            "shipped_on": shipped_on.isoformat(),
            "lines": [
                {"item": item.pk, "quantity": str(quantity), "value": str(value)} for item, quantity, value in parsed
            ],
        },
    )
    if permit.status == PermitStatus.ISSUED and all(b.used_up for b in permit_balance(permit=permit)):
        permit_transition(permit=permit, action="exhaust", actor=None, reason=f"Used up by shipment {shipment.pk}.")
    return shipment


def _int_or_none(raw: Any) -> int | None:
    # A line is named by its id: an integer, or its digits as text; not a truth value, a fraction or infinity.
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        return None
    try:
        return int(raw)
    except (TypeError, ValueError, OverflowError):
        return None


def _plain(amount: Decimal) -> str:
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _exceeds(remaining: Decimal, unit: str, limit: Decimal, tolerance: Decimal) -> str:
    return _("Exceeds the balance: %(remaining)s %(unit)s remain of %(limit)s%(tolerance)s.") % {
        "remaining": _plain(remaining),
        "unit": unit,
        "limit": _plain(limit),
        "tolerance": _tolerance_note(tolerance),
    }


def _tolerance_note(tolerance: Decimal) -> str:
    return _(" (plus a tolerance of %(percent)s %%)") % {"percent": _plain(tolerance * 100)} if tolerance else ""
