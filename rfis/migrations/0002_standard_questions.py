from django.db import migrations

QUESTIONS = [
    (
        "end-user-statement",
        "End-user statement missing",
        "Provide the end-user and end-use statement signed by the end user, naming the items, their quantity and "
        "the end use, on the end user's letterhead.",
    ),
    (
        "technical-specification",
        "Technical specification",
        "Provide the technical specification of each item: grade, composition, dimensions and the properties that "
        "determine its control entry (for magnets, the coercivity and the heavy rare-earth content).",
    ),
    (
        "rare-earth-content",
        "Rare-earth content breakdown",
        "Give the content of each rare-earth element in each item as a mass fraction, with the laboratory report or "
        "the supplier's certificate it is taken from, and where each element was produced.",
    ),
    (
        "end-user-ownership",
        "Ownership of the end user",
        "Name the owners of the end user, direct and indirect, with their shares and countries, down to the natural "
        "persons or listed companies that control it.",
    ),
    (
        "re-export-assurance",
        "Re-export assurance",
        "Provide the end user's written assurance that the items will not be re-exported or transferred to a third "
        "party without the prior consent of the licensing authority.",
    ),
    (
        "contract",
        "Contract or purchase order",
        "Provide the contract or purchase order for this export, with the parties, items, quantities and prices.",
    ),
]


def seed(apps, schema_editor):
    StandardQuestion = apps.get_model("rfis", "StandardQuestion")
    for code, title, text in QUESTIONS:
        StandardQuestion.objects.get_or_create(code=code, defaults={"title": title, "text": text})


def unseed(apps, schema_editor):
    apps.get_model("rfis", "StandardQuestion").objects.filter(code__in=[q[0] for q in QUESTIONS]).delete()


class Migration(migrations.Migration):
    dependencies = [("rfis", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
