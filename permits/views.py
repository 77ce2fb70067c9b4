from django.shortcuts import render
from django.views.decorators.http import require_GET

from .selectors import permit_verify


@require_GET
def permit_verify_view(request, number: str):
    """Public: anyone holding a permit number may confirm it is genuine and in force. Nothing else is shown."""
    verification = permit_verify(number=number)
    return render(
        request,
        "permits/verify.html",
        {"verification": verification, "number": number},
        status=200 if verification else 404,
    )
