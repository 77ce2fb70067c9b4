"""`<field>__any_of=[...]`: `field = ANY(%s)`, one array parameter for any number of values (PostgreSQL only).

Unlike `__in`, whose SQL grows a placeholder per value, it keeps one SQL text for every call, so a read can be
compiled once (config/compiled_reads.py). It exists for reads of a case's rows two levels down (an item's elements,
a party's owners) by their parents' ids: the planner answers `item_id = ANY(ids)` from the foreign key's index
whatever its statistics say, whereas the same rows read through a join on the case id were planned as a hash join
over a sequential scan of the whole table by a connection that met the tables grown but not analysed (autovacuum
off, or not yet round): 6.4 ms a read at 43,000 element rows, against 0.05 ms by the index (docs/benchmarks.md,
"Case intake").
"""

from django.db import NotSupportedError
from django.db.models import ForeignKey, Lookup


@ForeignKey.register_lookup
class AnyOf(Lookup):
    lookup_name = "any_of"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        # The whole list is one parameter, which psycopg sends as an array.
        return "%s", [list(value)]

    def as_sql(self, compiler, connection):
        raise NotSupportedError("__any_of is a PostgreSQL lookup; use __in elsewhere.")

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # A typed array, so that the statement psycopg prepares is the same whatever the values' sizes.
        return f"{lhs} = ANY({rhs}::{self.lhs.output_field.db_type(connection)}[])", [*lhs_params, *rhs_params]
