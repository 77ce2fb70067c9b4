import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from screening.models import RuleSetVersion
from screening.services import RulePackInvalid, rule_set_import, rule_set_publish

SEED = Path(__file__).resolve().parents[2] / "seed" / "rulepack.json"


class Command(BaseCommand):
    help = "Import a rule pack as a new rule-set version (a draft, or published with --publish). Idempotent by label."

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(SEED), help="rule pack JSON (default: the seed)")
        parser.add_argument("--label", help="version label (default: the pack's own)")
        parser.add_argument("--publish", action="store_true", help="publish the version after importing it")
        parser.add_argument("--effective-from", help="with --publish: the day the version comes into force")

    def handle(self, *args, path, label, publish, effective_from, **options):
        try:
            pack = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        # The label is read before validation (to skip a pack already loaded), so read it without trusting the
        # pack's shape: a "version" that is not an object is left for validation to name.
        version = pack.get("version") if isinstance(pack, dict) else None
        label = label or (version.get("label") if isinstance(version, dict) else None)
        if label and RuleSetVersion.objects.filter(label=label).exists():
            self.stdout.write(f"Rule set {label} is already loaded.")
            return
        try:
            version = rule_set_import(pack=pack, actor=None, label=label)
            if publish:
                version = rule_set_publish(version=version, actor=None, effective_from=effective_from)
        except RulePackInvalid as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    self.stderr.write(f"{field}: {message}")
            raise CommandError("The rule pack is invalid; nothing was imported.") from exc
        self.stdout.write(f"Rule set {version.label} loaded ({version.get_status_display().lower()}).")
