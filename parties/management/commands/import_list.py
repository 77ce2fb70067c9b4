import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parties.importers import PARSERS
from parties.services import ListFileError, ListImportRefused, list_import


class Command(BaseCommand):
    help = (
        "Import a new version of a restricted-party list, all or nothing, and print what changed since the "
        "previous version. A bad file exits 2 naming the line or element and the field; nothing is written."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", required=True, choices=sorted(PARSERS), dest="fmt")
        parser.add_argument("--list", required=True, dest="list_key", help="the list's stable name, e.g. US-CSL")
        parser.add_argument("--name", help="display name for a new list")
        parser.add_argument("--jurisdiction", default="", help="CN, US, UN… for a new list")
        parser.add_argument("--effective-from", help="the day this version of the list applies from (YYYY-MM-DD)")
        parser.add_argument("--if-new", action="store_true", help="skip when the list already has a version")
        parser.add_argument("paths", nargs="+")

    def handle(self, *args, fmt, list_key, name, jurisdiction, effective_from, if_new, paths, **options):
        from parties.models import RestrictedList

        if if_new and RestrictedList.objects.filter(key=list_key, versions__isnull=False).exists():
            self.stdout.write(f"{list_key} is already loaded.")
            return
        files = [Path(p) for p in paths]
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        try:
            day = date.fromisoformat(effective_from) if effective_from else None
        except ValueError as exc:
            raise CommandError(f"--effective-from: not a date: {effective_from}") from exc
        try:
            summary = list_import(
                list_key=list_key,
                fmt=fmt,
                paths=files,
                actor=None,
                name=name,
                jurisdiction=jurisdiction,
                effective_from=day,
            )
        except ListFileError as exc:
            self.stderr.write(f"{exc}\nNothing was imported; the previous version of {list_key} stays in force.")
            sys.exit(2)
        except ListImportRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(summary.line())
