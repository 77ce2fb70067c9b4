"""Demo data: exporter organisations with their officers, the authority's staff, and a dozen cases drawn from
the worked examples of China's 2025 rare-earth export controls, in every state a case can be in.

Everything is made through the services, so the audit trail of each demo case is the one the app would have
written. Running the command again creates nothing twice: organisations and users are found by name, cases by
their organisation and end-use description (each demo case has its own).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import Organisation, User
from accounts.roles import Role
from accounts.services import organisation_create, user_create
from cases.management.demo_review import seed_review
from cases.models import Case
from cases.services import case_add_document, case_copy, case_create, case_save_draft, case_submit, case_withdraw
from cases.vocab import DocumentType

DEMO_PASSWORD = "licensa-demo-2025"


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    country: str
    address: str
    registration_number: str


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    roles: tuple[Role, ...]
    organisation: str | None = None  # DemoOrganisation.key; None for the authority's staff


@dataclass
class DemoCase:
    organisation: str
    filed_by: str
    data: dict[str, Any]
    # What happens after creation, in order: "submit", "withdraw", "copy" (makes a draft copy, see copy_changes).
    steps: tuple[str, ...] = ()
    documents: tuple[str, ...] = (DocumentType.END_USER_CERTIFICATE,)
    withdraw_reason: str = ""
    copy_changes: dict[str, Any] = field(default_factory=dict)


ORGANISATIONS = [
    DemoOrganisation(
        "ganzhou",
        "Ganzhou Rare Magnet Co., Ltd.",
        "CN",
        "18 Jinling Road, Zhanggong District, Ganzhou, Jiangxi 341000, China",
        "91360700MA35DEMO01",
    ),
    DemoOrganisation(
        "hanbit",
        "Hanbit Magnet Co., Ltd.",
        "KR",
        "77 Gongdan-ro, Seongsan-gu, Changwon, Gyeongsangnam-do 51567, Republic of Korea",
        "609-81-00000",
    ),
    DemoOrganisation(
        "lioncity",
        "Lion City Metals Pte. Ltd.",
        "SG",
        "10 Anson Road, #20-05 International Plaza, Singapore 079903",
        "201900000D",
    ),
]

USERS = [
    DemoUser("ganzhou.officer", "Li", "Wei", (Role.OFFICER,), "ganzhou"),
    DemoUser("ganzhou.officer2", "Zhang", "Min", (Role.OFFICER,), "ganzhou"),
    DemoUser("ganzhou.admin", "Chen", "Jing", (Role.ORG_ADMIN,), "ganzhou"),
    DemoUser("hanbit.officer", "Kim", "Ji-woo", (Role.OFFICER,), "hanbit"),
    DemoUser("hanbit.admin", "Park", "So-yeon", (Role.ORG_ADMIN,), "hanbit"),
    DemoUser("lioncity.officer", "Tan", "Mei Ling", (Role.OFFICER, Role.ORG_ADMIN), "lioncity"),
    DemoUser("reviewer", "Wang", "Fang", (Role.REVIEWER,)),
    DemoUser("reviewer2", "Liu", "Yang", (Role.REVIEWER,)),
    DemoUser("senior.reviewer", "Zhao", "Lei", (Role.REVIEWER, Role.SENIOR_REVIEWER)),
    # A second senior: case-by-case cases go to the senior-only queue, and four eyes need two seniors there.
    DemoUser("senior.reviewer2", "Xu", "Jun", (Role.REVIEWER, Role.SENIOR_REVIEWER)),
    DemoUser("rule.admin", "Sun", "Hui", (Role.RULE_ADMIN,)),
    DemoUser("auditor", "Huang", "Qing", (Role.AUDITOR,)),
]


def _goods(description: str, **facts: Any) -> dict[str, Any]:
    return {"kind": "goods", "description": description, "elements": [], "content": [], **facts}


def _party(role: str, name: str, country: str, address: str = "", category: str = "commercial", **facts) -> dict:
    return {"role": role, "name": name, "country": country, "address": address, "category": category, **facts}


NDFEB_DY = _goods(
    "Sintered NdFeB magnet blocks, grade N42SH, 2.5 wt % Dy",
    control_code="1C905.a",
    hs_code="8505111000",
    produced_in="CN",
    quantity_amount=Decimal("500"),
    quantity_unit="kg",
    value_amount=Decimal("42000.00"),
    value_currency="USD",
    elements=[
        {"element": "Nd", "form": "magnet", "mass_fraction": Decimal("0.29")},
        {"element": "Dy", "form": "magnet", "mass_fraction": Decimal("0.025")},
    ],
)
STUTTGART = _party(
    "end_user", "Stuttgart Antriebstechnik GmbH", "DE", "Industriestr. 5, 70565 Stuttgart, Germany", "commercial"
)
HAMBURG_FREIGHT = _party("consignee", "Hamburg Freight Forwarding GmbH", "DE", "Am Sandtorkai 40, 20457 Hamburg")

CASES = [
    # E1: shipped the day before Ann. 18 took effect; the officer withdrew it when the date moved (see E2).
    DemoCase(
        "ganzhou",
        "ganzhou.officer",
        {
            "destination_country": "DE",
            "decisive_date": date(2025, 4, 3),
            "end_use_categories": ["civil"],
            "end_use_description": "Traction motors for electric cars (order GRM-2025-031, first lot)",
            "items": [NDFEB_DY],
            "parties": [STUTTGART, HAMBURG_FREIGHT],
        },
        steps=("submit", "withdraw"),
        withdraw_reason="Shipment moved to 4 April; refiled as a new case.",
    ),
    # E2: the same shipment a day later, now under Ann. 18 (1C905); copied for the next lot.
    DemoCase(
        "ganzhou",
        "ganzhou.officer",
        {
            "destination_country": "DE",
            "decisive_date": date(2025, 4, 4),
            "end_use_categories": ["civil"],
            "end_use_description": "Traction motors for electric cars (order GRM-2025-031)",
            "items": [NDFEB_DY],
            "parties": [STUTTGART, HAMBURG_FREIGHT],
        },
        steps=("submit", "copy"),
        documents=(DocumentType.END_USER_CERTIFICATE, DocumentType.CONTRACT),
        copy_changes={"decisive_date": date(2026, 1, 15)},
    ),
    # E3: holmium oxide for research; Ann. 57 never took effect (suspended by Ann. 70).
    DemoCase(
        "ganzhou",
        "ganzhou.officer2",
        {
            "destination_country": "US",
            "decisive_date": date(2025, 11, 12),
            "end_use_categories": ["basic_research"],
            "end_use_description": "Magnetocaloric materials research in a university laboratory",
            "items": [
                _goods(
                    "Holmium oxide Ho2O3, 99.99 %",
                    control_code="1C909",
                    hs_code="2846901990",
                    produced_in="CN",
                    quantity_amount=Decimal("5"),
                    quantity_unit="kg",
                    value_amount=Decimal("1850.00"),
                    value_currency="USD",
                    elements=[{"element": "Ho", "form": "oxide", "mass_fraction": Decimal("0.87")}],
                )
            ],
            "parties": [
                _party(
                    "end_user",
                    "University of Wisconsin–Madison, Department of Materials Science",
                    "US",
                    "1509 University Ave, Madison, WI 53706",
                    "academic",
                )
            ],
        },
        steps=("submit",),
    ),
    # E6: process parameters for sintering, as technology, to a joint venture.
    DemoCase(
        "ganzhou",
        "ganzhou.officer",
        {
            "destination_country": "VN",
            "decisive_date": date(2025, 10, 20),
            "end_use_categories": ["rare_earth_magnet_manufacturing"],
            "end_use_description": "Start-up of the sintering line of the Hai Phong magnet joint venture",
            "items": [
                {
                    "kind": "technology",
                    "description": "NdFeB sintering process parameters: furnace profiles, ageing schedules, drawings",
                    "control_code": "1E902.a",
                    "produced_in": "CN",
                    "value_amount": Decimal("380000.00"),
                    "value_currency": "USD",
                    "technology_area": "magnet_manufacturing",
                    "elements": [],
                    "content": [],
                }
            ],
            "parties": [
                _party(
                    "end_user",
                    "Hai Phong Advanced Magnet JV Co., Ltd.",
                    "VN",
                    "Lot C4, Deep C Industrial Zone, Hai Phong",
                    owners=[
                        {"name": "Ganzhou Rare Magnet Co., Ltd.", "country": "CN", "share": Decimal("0.49")},
                        {"name": "Viet Industrial Holdings JSC", "country": "VN", "share": Decimal("0.51")},
                    ],
                )
            ],
        },
        steps=("submit",),
        documents=(DocumentType.END_USER_CERTIFICATE, DocumentType.TECHNICAL_DESCRIPTION),
    ),
    # E7: gallium metal to a US buyer (Ann. 46 §2).
    DemoCase(
        "ganzhou",
        "ganzhou.officer2",
        {
            "destination_country": "US",
            "decisive_date": date(2025, 6, 1),
            "end_use_categories": ["civil"],
            "end_use_description": "Gallium for GaAs wafer growth by a commercial buyer",
            "items": [
                _goods(
                    "Gallium metal 6N (99.9999 %), 1 kg ingots",
                    hs_code="8112923000",
                    produced_in="CN",
                    quantity_amount=Decimal("200"),
                    quantity_unit="kg",
                    value_amount=Decimal("118000.00"),
                    value_currency="USD",
                    elements=[{"element": "Ga", "form": "metal", "mass_fraction": Decimal("1")}],
                )
            ],
            "parties": [
                _party("end_user", "Pacific Compound Semiconductors Inc.", "US", "2200 Mission College Blvd, CA 95054")
            ],
        },
        steps=(),  # complete, not yet submitted
    ),
    # E8: Tb magnets with a party on the Control List.
    DemoCase(
        "ganzhou",
        "ganzhou.officer",
        {
            "destination_country": "US",
            "decisive_date": date(2025, 5, 1),
            "end_use_categories": ["civil"],
            "end_use_description": "Magnets for training-system actuators",
            "items": [
                _goods(
                    "Sintered NdFeB magnets with grain-boundary diffused Tb, grade 48UH",
                    control_code="1C904.a",
                    hs_code="8505111000",
                    produced_in="CN",
                    quantity_amount=Decimal("120"),
                    quantity_unit="kg",
                    value_amount=Decimal("21600.00"),
                    value_currency="USD",
                    elements=[{"element": "Tb", "form": "magnet", "mass_fraction": Decimal("0.008")}],
                )
            ],
            "parties": [
                _party("end_user", "Cubic Corporation", "US", "9233 Balboa Avenue, San Diego, CA 92123"),
                _party("purchaser", "Coastal Components Trading LLC", "US", "1 World Trade Center, Long Beach, CA"),
            ],
        },
        steps=("submit",),
    ),
    # A deep-processed product (Ann. 18 FAQ), still being prepared: one line has no value, no certificate yet.
    DemoCase(
        "ganzhou",
        "ganzhou.officer2",
        {
            "destination_country": "JP",
            "decisive_date": date(2025, 12, 10),
            "end_use_categories": ["civil"],
            "end_use_description": "Rotor assemblies for industrial servo motors",
            "items": [
                _goods(
                    "Rotor assemblies with embedded Dy-containing NdFeB magnets",
                    hs_code="8503009090",
                    produced_in="CN",
                    quantity_amount=Decimal("800"),
                    quantity_unit="pcs",
                    value_amount=Decimal("96000.00"),
                    value_currency="USD",
                    deep_processed=True,
                    elements=[{"element": "Dy", "form": "magnet", "mass_fraction": Decimal("0.004")}],
                ),
                _goods(
                    "Spare magnet segments (not assembled)",
                    control_code="1C905.a",
                    produced_in="CN",
                    quantity_amount=Decimal("20"),
                    quantity_unit="kg",
                    elements=[{"element": "Dy", "form": "magnet", "mass_fraction": Decimal("0.025")}],
                ),
            ],
            "parties": [_party("end_user", "Kansai Servo Systems K.K.", "JP", "3-1 Nakanoshima, Kita-ku, Osaka")],
        },
        documents=(),
    ),
    # E5: a foreign magnet maker; Chinese samarium is 0.5 % of the value.
    DemoCase(
        "hanbit",
        "hanbit.officer",
        {
            "destination_country": "VN",
            "decisive_date": date(2025, 11, 20),
            "end_use_categories": ["civil"],
            "end_use_description": "Motors for electric scooters",
            "items": [
                _goods(
                    "Sintered SmCo permanent magnets, grade 2:17",
                    hs_code="8505119000",
                    produced_in="KR",
                    quantity_amount=Decimal("1200"),
                    quantity_unit="kg",
                    value_amount=Decimal("250000.00"),
                    value_currency="USD",
                    elements=[{"element": "Sm", "form": "magnet", "mass_fraction": Decimal("0.25")}],
                    content=[
                        {
                            "control_code": "1C902.a",
                            "element": "Sm",
                            "form": "metal",
                            "origin_country": "CN",
                            "value_share": Decimal("0.005"),
                        }
                    ],
                )
            ],
            "parties": [_party("end_user", "Saigon Motor Works JSC", "VN", "Lot 12, Tan Thuan EPZ, Ho Chi Minh City")],
        },
        steps=("submit",),
    ),
    # Ann. 61 §1(1) and §1(2): Korean magnets with Chinese Dy and Chinese technology; the end user is not named yet.
    DemoCase(
        "hanbit",
        "hanbit.officer",
        {
            "destination_country": "US",
            "decisive_date": date(2026, 2, 2),
            "end_use_categories": ["civil"],
            "end_use_description": "Servo drives for packaging machines",
            "items": [
                _goods(
                    "Sintered NdFeB magnets made with Chinese strip-casting technology, 3 wt % Dy",
                    hs_code="8505111000",
                    produced_in="KR",
                    technology_origin="CN",
                    quantity_amount=Decimal("300"),
                    quantity_unit="kg",
                    value_amount=Decimal("36000.00"),
                    value_currency="USD",
                    elements=[{"element": "Dy", "form": "magnet", "mass_fraction": Decimal("0.03")}],
                    content=[
                        {
                            "element": "Dy",
                            "form": "metal",
                            "origin_country": "CN",
                            "control_code": "1C905.a",
                            "value_share": Decimal("0.18"),
                        }
                    ],
                )
            ],
            "parties": [_party("consignee", "Midwest Logistics LLC", "US", "4100 W 76th St, Chicago, IL 60652")],
        },
        documents=(),
    ),
    # A quote that came to nothing: withdrawn while still a draft.
    DemoCase(
        "hanbit",
        "hanbit.officer",
        {
            "destination_country": "MX",
            "decisive_date": date(2025, 9, 1),
            "end_use_categories": ["civil"],
            "end_use_description": "Loudspeaker magnets for a consumer-audio assembler (quotation only)",
            "items": [
                _goods(
                    "Bonded NdFeB ring magnets without Dy or Tb",
                    hs_code="8505111000",
                    produced_in="KR",
                    quantity_amount=Decimal("10000"),
                    quantity_unit="pcs",
                    value_amount=Decimal("8500.00"),
                    value_currency="USD",
                    elements=[{"element": "Nd", "form": "magnet", "mass_fraction": Decimal("0.27")}],
                )
            ],
            "parties": [_party("end_user", "Audio Norte S.A. de C.V.", "MX", "Av. Constitución 400, Monterrey")],
        },
        steps=("withdraw",),
        documents=(),
        withdraw_reason="The buyer chose another supplier.",
    ),
    # E4: a foreign trader re-exporting Chinese dysprosium oxide as it is (Ann. 61 §1(3)).
    DemoCase(
        "lioncity",
        "lioncity.officer",
        {
            "transaction": "reexport",
            "destination_country": "IN",
            "decisive_date": date(2025, 10, 15),
            "end_use_categories": ["civil"],
            "end_use_description": "Sintered NdFeB magnets for ceiling fans",
            "items": [
                _goods(
                    "Dysprosium oxide 99.9 %, Chinese origin, re-exported in original drums",
                    hs_code="2846901993",
                    produced_in="CN",
                    origin_country="CN",
                    quantity_amount=Decimal("200"),
                    quantity_unit="kg",
                    value_amount=Decimal("84000.00"),
                    value_currency="USD",
                    elements=[{"element": "Dy", "form": "oxide", "mass_fraction": Decimal("0.87")}],
                )
            ],
            "parties": [
                _party("end_user", "Pune Magnetics Private Limited", "IN", "Plot 44, MIDC Chakan, Pune 410501"),
                _party(
                    "intermediate_consignee",
                    "Port Klang Bonded Logistics Sdn. Bhd.",
                    "MY",
                    "Westport, 42009 Port Klang, Selangor",
                ),
            ],
        },
        steps=("submit",),
        documents=(DocumentType.END_USER_CERTIFICATE, DocumentType.CONTRACT),
    ),
    # Dy magnets for a buyer on the Watch List (Ann. 12 of 2026): case by case, decided with four eyes.
    DemoCase(
        "ganzhou",
        "ganzhou.officer2",
        {
            "destination_country": "JP",
            "decisive_date": date(2026, 3, 10),
            "end_use_categories": ["civil"],
            "end_use_description": "Voice-coil motors for hard-disk drives",
            "items": [
                _goods(
                    "Sintered NdFeB magnet segments, grade N45SH, 2 wt % Dy",
                    control_code="1C905.a",
                    hs_code="8505111000",
                    produced_in="CN",
                    quantity_amount=Decimal("300"),
                    quantity_unit="kg",
                    value_amount=Decimal("25200.00"),
                    value_currency="USD",
                    elements=[
                        {"element": "Nd", "form": "magnet", "mass_fraction": Decimal("0.29")},
                        {"element": "Dy", "form": "magnet", "mass_fraction": Decimal("0.02")},
                    ],
                )
            ],
            "parties": [_party("end_user", "TDK Corporation", "JP", "2-5-1 Nihonbashi, Chuo-ku, Tokyo")],
        },
        steps=("submit",),
    ),
    # Tb magnets for Korean electric buses: approved, then suspended while the end user is verified.
    DemoCase(
        "ganzhou",
        "ganzhou.officer",
        {
            "destination_country": "KR",
            "decisive_date": date(2026, 3, 2),
            "end_use_categories": ["civil"],
            "end_use_description": "Drive motors for electric buses",
            "items": [
                _goods(
                    "Sintered NdFeB magnets with grain-boundary diffused Tb, grade 45SH",
                    control_code="1C904.a",
                    hs_code="8505111000",
                    produced_in="CN",
                    quantity_amount=Decimal("400"),
                    quantity_unit="kg",
                    value_amount=Decimal("64000.00"),
                    value_currency="USD",
                    elements=[{"element": "Tb", "form": "magnet", "mass_fraction": Decimal("0.007")}],
                )
            ],
            "parties": [
                _party("end_user", "Ulsan E-Drive Components Co., Ltd.", "KR", "55 Yeompo-ro, Buk-gu, Ulsan 44258")
            ],
        },
        steps=("submit",),
    ),
    # Another re-export, started but not finished: the intended date is not known yet.
    DemoCase(
        "lioncity",
        "lioncity.officer",
        {
            "transaction": "reexport",
            "destination_country": "JP",
            "decisive_date": None,
            "end_use_categories": ["civil"],
            "end_use_description": "Green phosphors for display backlights",
            "items": [
                _goods(
                    "Terbium oxide Tb4O7 99.99 %, Chinese origin",
                    hs_code="2846901930",
                    produced_in="CN",
                    origin_country="CN",
                    quantity_amount=Decimal("50"),
                    quantity_unit="kg",
                    value_amount=Decimal("61000.00"),
                    value_currency="USD",
                    elements=[{"element": "Tb", "form": "oxide", "mass_fraction": Decimal("0.85")}],
                )
            ],
            "parties": [_party("end_user", "Chiba Luminous Materials Co., Ltd.", "JP", "2-5 Minato, Chiba")],
        },
        documents=(DocumentType.CONTRACT,),
    ),
]


def demo_pdf(title: str, lines: list[str]) -> bytes:
    """A small, valid one-page PDF: enough to be sniffed, stored and opened by a reader."""

    def escape(text: str) -> str:
        text = text.encode("latin-1", "replace").decode("latin-1")
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    body = ["BT /F1 16 Tf 72 770 Td (" + escape(title) + ") Tj ET"]
    for index, line in enumerate(lines):
        body.append(f"BT /F1 10 Tf 72 {740 - 16 * index} Td ({escape(line)}) Tj ET")
    stream = "\n".join(body).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


DOCUMENT_TITLES = {
    DocumentType.END_USER_CERTIFICATE: ("end-user-certificate.pdf", "End-user and end-use certificate"),
    DocumentType.CONTRACT: ("contract.pdf", "Sales contract"),
    DocumentType.TECHNICAL_DESCRIPTION: ("technical-description.pdf", "Technical description"),
    DocumentType.OTHER: ("document.pdf", "Supporting document"),
}


def _document_upload(doc_type: str, case: Case) -> SimpleUploadedFile:
    filename, title = DOCUMENT_TITLES[doc_type]
    lines = [
        f"Case: {case.reference}",
        f"Exporter: {case.organisation.name}",
        f"Destination: {case.destination_country.name if case.destination_country else '-'}",
        f"End use: {case.end_use_description}",
        *(f"{party.get_role_display()}: {party.name}, {party.country.name}" for party in case.parties.all()),
        "Demo document generated by Licensa's seed_demo command.",
    ]
    return SimpleUploadedFile(filename, demo_pdf(title, lines), content_type="application/pdf")


class Command(BaseCommand):
    help = "Create the demo organisations, accounts and cases (idempotent: existing ones are kept)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            help="the day the demo's reviewers act on (ISO date; default: today). Deadlines and the rule change's "
            "effective date count from it.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # One day for the whole seed, passed to every service that takes one, so a test can fix it.
        today = options.get("today") or timezone.localdate()
        organisations = {spec.key: self._organisation(spec) for spec in ORGANISATIONS}
        users = {spec.username: self._user(spec, organisations) for spec in USERS}
        created = sum(self._case(spec, organisations, users) for spec in CASES)
        self.stdout.write(
            f"Demo data: {len(organisations)} organisations, {len(users)} accounts, "
            f"{created} cases created ({len(CASES) - created} already there)."
        )
        # After the cases' own transactions have committed: in the embedded default they are screened by then.
        self.stdout.write(seed_review(organisations=organisations, users=users, today=today))
        self.stdout.write(f"Demo accounts (password for all: {DEMO_PASSWORD}):")
        for spec in USERS:
            where = spec.organisation and organisations[spec.organisation].name or "licensing authority"
            roles = ", ".join(role.label for role in spec.roles)
            self.stdout.write(f"  {spec.username:<18} {roles:<40} {where}")

    def _organisation(self, spec: DemoOrganisation) -> Organisation:
        existing = Organisation.objects.filter(name=spec.name).first()
        if existing is not None:
            return existing
        return organisation_create(
            name=spec.name, country=spec.country, address=spec.address, registration_number=spec.registration_number
        )

    def _user(self, spec: DemoUser, organisations: dict[str, Organisation]) -> User:
        existing = User.objects.filter(username=spec.username).first()
        if existing is not None:
            return existing
        organisation = organisations[spec.organisation] if spec.organisation else None
        domain = organisation.name.split()[0].lower() if organisation else "authority"
        return user_create(
            username=spec.username,
            password=DEMO_PASSWORD,
            email=f"{spec.username}@{domain}.example",
            first_name=spec.first_name,
            last_name=spec.last_name,
            organisation=organisation,
            roles=spec.roles,
        )

    def _case(self, spec: DemoCase, organisations: dict[str, Organisation], users: dict[str, User]) -> bool:
        organisation = organisations[spec.organisation]
        officer = users[spec.filed_by]
        description = spec.data["end_use_description"]
        if Case.objects.filter(
            organisation=organisation, end_use_description=description, copied_from__isnull=True
        ).exists():
            return False
        # One case at a time, all or nothing: a failure half-way leaves no case that a rerun would skip.
        with transaction.atomic():
            case = case_create(
                organisation=organisation, filed_by=officer, data={"licence_type": "single", **spec.data}
            )
            for doc_type in spec.documents:
                case_add_document(case=case, actor=officer, doc_type=doc_type, upload=_document_upload(doc_type, case))
            case.refresh_from_db()
            for step in spec.steps:
                if step == "submit":
                    case = case_submit(case=case, actor=officer)
                elif step == "withdraw":
                    case.refresh_from_db()
                    case = case_withdraw(case=case, actor=officer, reason=spec.withdraw_reason)
                elif step == "copy":
                    copy = case_copy(case=case, actor=officer)
                    if spec.copy_changes:
                        case_save_draft(case=copy, actor=officer, data=spec.copy_changes)
                else:
                    raise ValueError(f"Unknown demo step {step!r}")
        return True
