from django.core.management.base import BaseCommand, CommandError

from rechecks.models import RecheckRun
from rechecks.services import recheck_run_resume


class Command(BaseCommand):
    help = "Queue again the chunks of a re-check run that are not done (after a worker died)."

    def add_arguments(self, parser):
        parser.add_argument("run_id", type=int)

    def handle(self, *args, run_id: int, **options):
        run = RecheckRun.objects.filter(pk=run_id).first()
        if run is None:
            raise CommandError(f"No re-check run {run_id}.")
        indexes = recheck_run_resume(run=run)
        run.refresh_from_db()
        self.stdout.write(f"Run {run.pk} ({run.status}): {len(indexes)} chunk(s) queued again.")
