"""The one error type users see.

Every problem with a user's input (a file, a model name, a language code)
becomes an :class:`InputError` carrying the thing it is about and the problem
in one line; the CLI prints ``align: <where>: <problem>`` and exits 2, the app
shows the same line. Nothing else is allowed to reach a user as a traceback.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad user input: ``where`` names the file (or option), ``problem`` says what is wrong."""

    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where = str(where)
        self.problem = problem
