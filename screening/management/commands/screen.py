"""`manage.py screen [FILE]`: the screening contract on the command line.

Reads one case document, a JSON array of them, or JSON Lines (--jsonl) from FILE or standard input, and writes
the determination(s) to standard output. Exit 0 when every document was screened; 2 when any input is invalid,
with one line per problem on standard error naming its JSON path, and nothing on standard output for the
invalid documents."""

import json
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from config.api import json_loads_strict
from screening.interface import case_document_errors, resolve_rule_set, screen
from screening.selectors import NoRuleSet


def _loads(text: str):
    # Decimal, not float: a share of 0.001 must stay exactly one thousandth. Read as the API reads it: no NaN or
    # Infinity, no nesting past the interpreter's depth, no lone surrogate.
    return json_loads_strict(text, parse_float=Decimal)


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


class Command(BaseCommand):
    help = "Screen case documents against the rule set in force (or --rule-set) and print the determinations."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="case document file (default: standard input)")
        parser.add_argument("--jsonl", action="store_true", help="read JSON Lines, write one determination a line")
        parser.add_argument("--rule-set", dest="rule_set", help="a published rule-set version label")
        parser.add_argument("--date", help="decisive date to screen on (YYYY-MM-DD), overriding each document's")

    def handle(self, *args, file, jsonl, rule_set, date: str | None, **options):
        decisive = None
        if date:
            try:
                decisive = _parse_date(date)
            except ValueError:
                self._fail(f"--date: not a date (YYYY-MM-DD): {date}")
        try:
            version = resolve_rule_set(rule_set)
        except NoRuleSet as exc:
            raise CommandError(str(exc)) from exc
        try:
            text = Path(file).read_text(encoding="utf-8") if file else sys.stdin.read()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror}") from exc

        problems: list[str] = []
        if jsonl:
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                doc = self._parse(line, f"line {number}: ", problems)
                if doc is not None and self._valid(doc, f"line {number}: ", problems):
                    self.stdout.write(_dumps(screen(doc, version=version, decisive_date=decisive)))
        else:
            data = self._parse(text, "", problems)
            if isinstance(data, list):
                results = []
                for index, doc in enumerate(data):
                    if self._valid(doc, f"[{index}].", problems):
                        results.append(screen(doc, version=version, decisive_date=decisive))
                self.stdout.write(_dumps(results))
            elif data is not None and self._valid(data, "", problems):
                self.stdout.write(_dumps(screen(data, version=version, decisive_date=decisive)))
        if problems:
            for line in problems:
                self.stderr.write(line)
            sys.exit(2)

    def _parse(self, text, prefix, problems):
        try:
            return _loads(text)
        except json.JSONDecodeError as exc:
            problems.append(f"{prefix}$: invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
            return None
        except ValueError as exc:
            problems.append(f"{prefix}$: invalid JSON: {exc}")
            return None

    def _valid(self, doc, prefix, problems) -> bool:
        errors = case_document_errors(doc)
        for path, messages in errors.items():
            for message in messages:
                where = prefix[:-1] if path == "$" and prefix.endswith(".") else f"{prefix}{path}"
                problems.append(f"{where}: {message}")
        return not errors

    def _fail(self, message: str):
        self.stderr.write(message)
        sys.exit(2)


def _parse_date(text: str):
    return date.fromisoformat(text)
