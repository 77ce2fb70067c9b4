"""Saved searches: a name a person gives to a case list's filters, kept as the list's query string."""

from django.conf import settings
from django.db import models


class SavedSearch(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches")
    name = models.CharField(max_length=100)
    # The case list's query string without the page number, e.g. "status=submitted&destination=DE&sort=oldest".
    # It is re-read through the search form each time, so a filter that no longer exists is simply left out.
    query = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="saved_search_unique_name_per_user")]

    def __str__(self) -> str:
        return self.name
