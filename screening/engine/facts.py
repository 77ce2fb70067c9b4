"""Case facts: a validated case document turned into plain objects, with the contract's defaults applied.

Shares and amounts become Decimal here, from their text, so that 0.001 is exactly one thousandth."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


def to_decimal(value) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    # str() first: Decimal(0.1) would carry the float's binary error into the comparison.
    return Decimal(str(value))


@dataclass(frozen=True, slots=True)
class ElementFact:
    element: str
    form: str
    mass_fraction: Decimal | None


@dataclass(frozen=True, slots=True)
class ContentFact:
    origin_country: str
    value_share: Decimal
    control_code: str
    element: str
    form: str


@dataclass(frozen=True, slots=True)
class ItemFacts:
    index: int
    description: str
    kind: str
    control_code: str  # upper case, no spaces; "" when none declared
    declared_code: str  # as the exporter wrote it, for the reader
    hs_code: str
    produced_in: str
    origin_country: str
    technology_origin: str
    value_amount: Decimal | None
    elements: tuple[ElementFact, ...]
    content: tuple[ContentFact, ...]
    deep_processed: bool
    technology_area: str
    public_domain: bool


@dataclass(frozen=True, slots=True)
class OwnerFact:
    name: str
    country: str
    share: Decimal


@dataclass(frozen=True, slots=True)
class PartyFacts:
    index: int
    role: str
    name: str
    country: str
    category: str
    owners: tuple[OwnerFact, ...]


@dataclass(frozen=True, slots=True)
class CaseFacts:
    reference: str | None
    decisive_date: date
    jurisdictions: tuple[str, ...] | None
    exporter_name: str
    exporter_country: str
    transaction: str
    destination_country: str
    items: tuple[ItemFacts, ...]
    parties: tuple[PartyFacts, ...]
    end_use_categories: frozenset[str] = field(default_factory=frozenset)
    authority_notified: bool = False


def normalise_code(code: str | None) -> str:
    return (code or "").replace(" ", "").upper()


def facts_from_document(doc: dict, *, decisive_date: date | None = None) -> CaseFacts:
    """Build facts from a case document that has passed the contract schema."""
    exporter_country = doc["exporter"]["country"]
    items = []
    for index, item in enumerate(doc["items"]):
        produced_in = item.get("produced_in") or exporter_country
        value = item.get("value")
        items.append(
            ItemFacts(
                index=index,
                description=item["description"],
                kind=item["kind"],
                control_code=normalise_code(item.get("control_code")),
                declared_code=(item.get("control_code") or "").strip(),
                hs_code=item.get("hs_code") or "",
                produced_in=produced_in,
                origin_country=item.get("origin_country") or produced_in,
                technology_origin=item.get("technology_origin") or "",
                value_amount=to_decimal(value["amount"]) if value else None,
                elements=tuple(
                    ElementFact(e["element"], e["form"], to_decimal(e.get("mass_fraction")))
                    for e in item.get("elements") or ()
                ),
                content=tuple(
                    ContentFact(
                        origin_country=c["origin_country"],
                        value_share=to_decimal(c["value_share"]),
                        control_code=normalise_code(c.get("control_code")),
                        element=c.get("element") or "",
                        form=c.get("form") or "",
                    )
                    for c in item.get("content") or ()
                ),
                deep_processed=bool(item.get("deep_processed", False)),
                technology_area=item.get("technology_area") or "",
                public_domain=bool(item.get("public_domain", False)),
            )
        )
    parties = tuple(
        PartyFacts(
            index=index,
            role=party["role"],
            name=party["name"],
            country=party["country"],
            category=party.get("category") or "commercial",
            owners=tuple(
                OwnerFact(o["name"], o.get("country") or "", to_decimal(o["share"])) for o in party.get("owners") or ()
            ),
        )
        for index, party in enumerate(doc.get("parties") or ())
    )
    end_use = doc.get("end_use") or {}
    if decisive_date is None:
        decisive_date = date.fromisoformat(doc["decisive_date"])
    jurisdictions = doc.get("jurisdictions")
    return CaseFacts(
        reference=doc.get("reference"),
        decisive_date=decisive_date,
        jurisdictions=tuple(jurisdictions) if jurisdictions else None,
        exporter_name=doc["exporter"]["name"],
        exporter_country=exporter_country,
        transaction=doc.get("transaction") or "export",
        destination_country=doc["destination_country"],
        items=tuple(items),
        parties=parties,
        end_use_categories=frozenset(end_use.get("categories") or ()),
        authority_notified=bool(end_use.get("authority_notified", False)),
    )
