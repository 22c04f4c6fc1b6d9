"""Why an administrative change is refused: message keys in the user's language, nothing changed."""

from __future__ import annotations

from waystation.web import translate


class Refused(ValueError):
    """An administrative change that is not made; carries every problem as a locale key and its values."""

    def __init__(self, problems: list[tuple[str, dict]]):
        super().__init__("; ".join(key for key, _ in problems))
        self.problems = problems

    @classmethod
    def one(cls, key: str, **values) -> Refused:
        """A refusal with a single problem."""
        return cls([(key, values)])

    def messages(self, lang: str | None = None) -> list[str]:
        """Every problem as a sentence in `lang` (default: the request's language)."""
        return [translate(key, lang, **_named(values, lang)) for key, values in self.problems]


def _named(values: dict, lang: str | None) -> dict:
    """Values as words: a `weekday` number (Monday = 0) becomes the weekday's name."""
    if "weekday" in values:
        values = {**values, "weekday": translate(f"manage.weekday_{values['weekday']}", lang)}
    return values
