"""The SQL a piece of code sends, with its parameters, for tests that compare a compiled statement with the ORM's."""


class Sent:
    """An execute wrapper (`connection.execute_wrapper(sent)`) that keeps each statement and its parameters."""

    def __init__(self):
        self.statements: list[tuple[str, tuple]] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, tuple(params)))
        return execute(sql, params, many, context)
