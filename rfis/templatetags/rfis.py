"""`{% load rfis %}{% case_information_requests case %}`: the case page shows its requests for information in one
line, without its view having to know about them."""

from django import template

from ..selectors import information_requests_for_case, user_may_see_requests
from ..services import user_may_open

register = template.Library()


@register.inclusion_tag("rfis/_case_requests.html", takes_context=True)
def case_information_requests(context, case):
    user = context.get("user") or context["request"].user
    if not user_may_see_requests(user=user, case=case):
        return {"visible": False, "case": case, "user": user, "information_requests": []}
    return {
        "visible": True,
        "case": case,
        "user": user,
        "information_requests": information_requests_for_case(case=case),
        "may_request_information": user_may_open(user=user, case=case),
    }
