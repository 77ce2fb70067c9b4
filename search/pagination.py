"""A pager that counts no further than it needs to.

Django's Paginator counts every matching row to number the pages. With 100,000 cases that count is most of what a
list page costs the database (a full index scan on every page, 30-60 ms under load, docs/benchmarks.md), and a
count in the tens of thousands tells the reader nothing a "more than 10,000" does not: they narrow the search."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """Counts at most `cap` rows and one more, to know whether there are more; `capped` says so. Pages go as far as
    the cap: the rows beyond it are reached by narrowing the search (or in the CSV export, which has them all)."""

    cap = COUNT_CAP

    @cached_property
    def _counted(self) -> int:
        count_up_to = getattr(self.object_list, "count_up_to", None)
        if count_up_to is not None:
            return count_up_to(self.cap + 1)
        # The slice makes it SELECT COUNT(*) FROM (SELECT … LIMIT cap + 1): PostgreSQL stops reading there. Without
        # the ordering nothing is sorted, and with only the key no other column is computed.
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self._counted, self.cap)

    @property
    def capped(self) -> bool:
        return self._counted > self.cap
