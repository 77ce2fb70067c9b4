"""The completeness check: what a case still lacks before it can be submitted.

Works on a case loaded with its facts (selectors.with_facts); reads nothing else from the database.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .models import Case
from .vocab import DocumentType, ItemKind, PartyRole


@dataclass(frozen=True)
class Problem:
    path: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


ONE = Decimal("1")


def case_check_completeness(case: Case) -> list[Problem]:
    problems: list[Problem] = []
    add = problems.append
    if not case.destination_country:
        add(Problem("destination_country", "missing", _("Say where the items are going (destination country).")))
    if case.decisive_date is None:
        add(Problem("decisive_date", "missing", _("Give the intended export date: it decides which rules apply.")))
    if not case.end_use_categories:
        add(Problem("end_use.categories", "missing", _("Say what the items will be used for (end-use category).")))

    items = list(case.items.all())
    if not items:
        add(Problem("items", "missing", _("Add at least one item.")))
    for index, item in enumerate(items):
        where = f"items[{index}]"
        label = _("Line %(n)s (%(description)s)") % {"n": index + 1, "description": item.description[:40]}
        if item.value_amount is None or not item.value_currency:
            add(Problem(f"{where}.value", "missing", _("%(line)s has no value.") % {"line": label}))
        if item.kind == ItemKind.GOODS and (item.quantity_amount is None or not item.quantity_unit):
            add(Problem(f"{where}.quantity", "missing", _("%(line)s has no quantity.") % {"line": label}))
        if item.kind == ItemKind.TECHNOLOGY and not item.technology_area and not item.control_code:
            add(
                Problem(
                    f"{where}.technology_area",
                    "missing",
                    _("%(line)s is technology: give its technology area or its control code.") % {"line": label},
                )
            )
        elements = list(item.elements.all())
        mass = sum((e.mass_fraction or Decimal(0) for e in elements), Decimal(0))
        if mass > ONE:
            add(
                Problem(
                    f"{where}.elements",
                    "shares_exceed_whole",
                    _("%(line)s: the mass fractions of its elements add up to %(total)s, more than the whole item.")
                    % {"line": label, "total": f"{mass:.4%}"},
                )
            )
        content = list(item.content.all())
        share = sum((c.value_share for c in content), Decimal(0))
        if share > ONE:
            add(
                Problem(
                    f"{where}.content",
                    "shares_exceed_whole",
                    _("%(line)s: the value shares of its content add up to %(total)s, more than the item's value.")
                    % {"line": label, "total": f"{share:.4%}"},
                )
            )

    parties = list(case.parties.all())
    if not any(p.role == PartyRole.END_USER for p in parties):
        add(Problem("parties", "no_end_user", _("Name the end user.")))
    for index, party in enumerate(parties):
        owners = list(party.owners.all())
        total = sum((o.share for o in owners), Decimal(0))
        if total > ONE:
            add(
                Problem(
                    f"parties[{index}].owners",
                    "shares_exceed_whole",
                    _("The declared owners of %(name)s hold %(total)s between them, more than the whole.")
                    % {"name": party.name, "total": f"{total:.4%}"},
                )
            )

    if not any(d.doc_type == DocumentType.END_USER_CERTIFICATE for d in case.documents.all()):
        add(Problem("documents", "no_end_user_certificate", _("Upload the end-user and end-use certificate.")))
    return problems
