from accounts.roles import Role

from .models import PotentialMatch


def potential_matches_for_case(*, case, user) -> list[PotentialMatch]:
    """The list hits on a case, for the authority's staff; officers see the screening outcome, not this work."""
    if not user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER, Role.AUDITOR):
        return []
    return list(
        PotentialMatch.objects.filter(case=case)
        .select_related("restricted_list", "disposition")
        .order_by("status", "-score", "id")
    )
