from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand

from parties.models import RestrictedList
from parties.services import list_import

DATA = Path(__file__).resolve().parents[2] / "data"

# (key, name, jurisdiction, format, file, effective from). The hand-kept Chinese lists are cumulative and date
# each entry; the CSL is the snapshot trade.gov published in May 2022.
SHIPPED = [
    ("CN-CONTROL", "Control List (China)", "CN", "csv", "cn_control_list.csv", date(2024, 12, 1)),
    ("CN-WATCH", "Watch List (China)", "CN", "csv", "cn_watch_list.csv", date(2024, 12, 1)),
    ("CN-UEL", "Unreliable Entity List (China)", "CN", "csv", "cn_unreliable_entity_list.csv", date(2024, 12, 1)),
    ("US-CSL", "US Consolidated Screening List", "US", "csl", "us_csl_2022.csv.gz", date(2022, 5, 1)),
]


class Command(BaseCommand):
    help = "Import the restricted-party lists that ship with Licensa (parties/data/), unless already loaded."

    def add_arguments(self, parser):
        parser.add_argument("--only", nargs="+", metavar="KEY", help="load only these lists")

    def handle(self, *args, only=None, **options):
        for key, name, jurisdiction, fmt, file, effective in SHIPPED:
            if only and key not in only:
                continue
            if RestrictedList.objects.filter(key=key, versions__isnull=False).exists():
                self.stdout.write(f"{key} is already loaded.")
                continue
            summary = list_import(
                list_key=key,
                fmt=fmt,
                paths=[DATA / file],
                actor=None,
                name=name,
                jurisdiction=jurisdiction,
                effective_from=effective,
            )
            self.stdout.write(summary.line())
