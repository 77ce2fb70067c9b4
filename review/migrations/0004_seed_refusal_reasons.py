"""The standard refusal reasons a reviewer picks from; admins may reword them or add more."""

from django.db import migrations

REASONS = [
    ("diversion-risk", "Risk of diversion", "There is a risk that the items would be diverted to an end user or "
     "end use other than the one stated in the application."),
    ("military-end-use", "Military end use", "The items would or might be used by a military end user or for a "
     "military end use."),
    ("wmd-risk", "Weapons of mass destruction", "The items would or might contribute to weapons of mass "
     "destruction or their means of delivery."),
    ("listed-party", "Listed party", "A party to the transaction is on a control list or watch list."),
    ("end-user-not-credible", "End-user statement not credible", "The end-user and end-use statement does not "
     "credibly account for the items, their quantity or their intended use."),
    ("insufficient-information", "Insufficient information", "The application does not give enough information "
     "to assess the export, and the information requested was not supplied."),
    ("national-security", "National security and interests", "The export would harm national security or "
     "national interests."),
    ("international-obligations", "International obligations", "The export would be inconsistent with "
     "international obligations, including sanctions and embargoes."),
]


def seed(apps, schema_editor):
    RefusalReason = apps.get_model("review", "RefusalReason")
    for code, title, text in REASONS:
        RefusalReason.objects.get_or_create(code=code, defaults={"title": title, "text": text})


class Migration(migrations.Migration):
    dependencies = [("review", "0003_recommendations")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
