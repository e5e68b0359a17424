"""The one error a lesson file can raise: it names the file, the line and the field."""

from __future__ import annotations

from playground.graph.errors import shown


class LessonError(ValueError):
    """A lesson file that cannot be used: ``str(error)`` is one line naming the file, the line and what is wrong."""

    def __init__(self, message: str, path: str = "", line: int = 0, field: str = "") -> None:
        self.path, self.line, self.field, self.reason = path, line, field, message
        where = shown(path, quote=False) if path else "lesson"
        if line:
            where += f", line {line}"
        if field:
            where += f", {field}"
        super().__init__(f"{where}: {message}")
