"""The roles a user may hold. Stored as Django groups, so one user can hold several."""

from enum import StrEnum


class Role(StrEnum):
    OFFICER = "compliance_officer"
    ORG_ADMIN = "organisation_admin"
    REVIEWER = "reviewer"
    SENIOR_REVIEWER = "senior_reviewer"
    RULE_ADMIN = "rule_admin"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.OFFICER: "Compliance officer",
    Role.ORG_ADMIN: "Organisation admin",
    Role.REVIEWER: "Reviewer",
    Role.SENIOR_REVIEWER: "Senior reviewer",
    Role.RULE_ADMIN: "Rule admin",
    Role.AUDITOR: "Auditor",
}

# Roles of the licensing authority's staff: they belong to no exporting organisation.
AUTHORITY_ROLES = frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER, Role.RULE_ADMIN, Role.AUDITOR})
# Roles that may read every submitted case.
CASE_READER_ROLES = frozenset({Role.REVIEWER, Role.SENIOR_REVIEWER, Role.AUDITOR})
