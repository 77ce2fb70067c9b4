"""The outcome ladder, lowest first. A case's outcome is the highest any of its reasons reaches."""

OUTCOMES = (
    "no_licence_required",
    "no_licence_required_report",
    "licence_required",
    "case_by_case",
    "presumption_of_denial",
    "prohibited",
)
RANK = {name: rank for rank, name in enumerate(OUTCOMES)}
LOWEST = OUTCOMES[0]


def highest(outcomes) -> str:
    best = LOWEST
    for outcome in outcomes:
        if RANK[outcome] > RANK[best]:
            best = outcome
    return best
