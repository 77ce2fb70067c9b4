"""`manage.py match_names --list NAME [--list …] [--threshold T] [FILE]`

Reads JSON Lines {"name": …, "country": …} (FILE or standard input) and writes JSON Lines
{"query": …, "matches": [{"list", "entry_id", "name", "score", "matched_name"}]}, best first, against the current
version of each list. Invalid lines are reported with their line number and exit status 2."""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from parties.models import ListVersion, RestrictedList
from parties.screening import loaded_list


class Command(BaseCommand):
    help = "Match names (JSON Lines) against restricted-party lists and print the matches as JSON Lines."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="JSON Lines file (default: standard input)")
        parser.add_argument("--list", action="append", dest="lists", required=True, help="list name, e.g. US-CSL")
        parser.add_argument(
            "--threshold", type=float, help="lowest score to report (default: each list's review threshold)"
        )
        parser.add_argument("--limit", type=int, default=10, help="matches per name per list")
        parser.add_argument("--explain", action="store_true", help="add each match's explanation")

    def handle(self, *args, file, lists, threshold, limit, explain, **options):
        if threshold is not None and not 0 <= threshold <= 1:
            raise CommandError("--threshold must be between 0 and 1")
        loaded = []
        for key in lists:
            version = (
                ListVersion.objects.filter(restricted_list__key=key, status="current")
                .select_related("restricted_list")
                .first()
            )
            if version is None:
                known = ", ".join(RestrictedList.objects.values_list("key", flat=True)) or "none"
                raise CommandError(f"No list {key!r} has been imported (lists: {known}).")
            loaded.append(loaded_list(version))
        try:
            text = Path(file).read_text(encoding="utf-8") if file else sys.stdin.read()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc
        problems = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                query = json.loads(line)
            except json.JSONDecodeError as exc:
                problems.append(f"line {number}: invalid JSON: {exc.msg}")
                continue
            if not isinstance(query, dict) or not isinstance(query.get("name"), str) or not query["name"].strip():
                problems.append(f'line {number}: name: a non-empty string is required ({{"name": …, "country": …}})')
                continue
            country = query.get("country")
            if country is not None and (not isinstance(country, str) or len(country) != 2 or not country.isupper()):
                problems.append(f"line {number}: country: not an ISO 3166-1 alpha-2 code")
                continue
            unknown = sorted(set(query) - {"name", "country"})
            if unknown:
                problems.append(f"line {number}: {unknown[0]}: unknown key")
                continue
            matches = []
            for lst in loaded:
                floor = lst.review_threshold if threshold is None else threshold
                for m in lst.index.search(query["name"], country=country, threshold=floor, limit=limit):
                    found = {
                        "list": lst.key,
                        "entry_id": m.entry_id,
                        "name": m.name,
                        "score": round(m.score, 4),
                        "matched_name": m.matched_name,
                    }
                    if explain:
                        found["explanation"] = str(m.explanation)
                    matches.append(found)
            matches.sort(key=lambda m: -m["score"])
            self.stdout.write(json.dumps({"query": query["name"], "matches": matches}, ensure_ascii=False))
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            sys.exit(2)
