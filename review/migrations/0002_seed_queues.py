"""The two queues every installation starts with, and the rule that sends case-by-case and worse to seniors.
Admins edit or add to them; removing them later is their choice."""

from django.db import migrations


def seed(apps, schema_editor):
    Queue = apps.get_model("review", "Queue")
    RoutingRule = apps.get_model("review", "RoutingRule")
    Queue.objects.get_or_create(
        slug="general",
        defaults={"name": "General review", "is_default": True, "description": "Every case no rule sends elsewhere."},
    )
    senior, _ = Queue.objects.get_or_create(
        slug="senior",
        defaults={
            "name": "Senior review",
            "senior_only": True,
            "description": "Case-by-case review, presumption of denial and prohibited outcomes.",
        },
    )
    if not RoutingRule.objects.filter(queue=senior).exists():
        RoutingRule.objects.create(
            queue=senior, priority=10, min_outcome="case_by_case", description="Case-by-case and worse to seniors"
        )


class Migration(migrations.Migration):
    dependencies = [("review", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
