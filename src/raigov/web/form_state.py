"""A page's forms after a refused action (issue #14, "errors at the field"): the service's errors by field, what was
typed, and per form a `FormState` the template's field macros read (templates/governance/_fields.html): the ids
of its fields, its errors at them, its values (the typed ones when it is the form refused, else its defaults), and
which errors were shown at a field, so the summary at the top links to them and says the others."""

from __future__ import annotations

from raigov.errors import RaigovError
from raigov.web.deps import CSRF_FIELD

NOT_KEPT = {CSRF_FIELD, "password", "file"}  # never typed back into a page


def said(message: str) -> str:
    """A message as a sentence starts."""
    return message[:1].upper() + message[1:]


def refusal_errors(error: RaigovError) -> dict[str, str]:
    """{field: message} of a refusal; a refusal naming no field (a permission, a conflict) under ""."""
    errors = {fe.field: fe.message[:400] for fe in error.errors if fe.field}
    return errors or {"": error.detail[:400]}


def said_back(form) -> dict[str, str]:
    """What was typed in a submitted form (first value of each name; never a password, a file or the token)."""
    values: dict[str, str] = {}
    for k, v in (form.multi_items() if form is not None else []):
        if isinstance(v, str) and k not in NOT_KEPT:
            values.setdefault(k, v)
    return values


class FormState:
    """One form of the page: the prefix of its fields' ids and, when it is the form just refused, the errors by
    field and the values typed; otherwise no error and the form's `defaults`. `shown` (shared by the page's forms)
    records the fields rendered with an error: {field: (control id, label)}."""

    def __init__(self, prefix: str, errors: dict[str, str], values: dict, shown: dict[str, tuple[str, str]]):
        self.prefix, self.errors, self.values, self.shown = prefix, errors, values, shown

    def id(self, name: str) -> str:
        return f"{self.prefix}-{name}"

    def error(self, name: str, label: str) -> str | None:
        if name not in self.errors:
            return None
        self.shown[name] = (self.id(name), label)
        return said(self.errors[name])

    def value(self, name: str) -> str:
        v = self.values.get(name)
        return "" if v is None else str(v)

    def others(self) -> list[str]:
        """The errors naming no field shown in this form: said at the form, by its button."""
        return [said(m) for k, m in self.errors.items() if k not in self.shown]


def form_states(act: str, errors: dict[str, str], values: dict):
    """(the template's `form(id, prefix=None, defaults=None)`, the shared `shown`): the state of the form whose
    action id is `id`; only the form `act` (the one refused) gets the errors and the typed values."""
    shown: dict[str, tuple[str, str]] = {}

    def form(form_id: str, prefix: str | None = None, defaults: dict | None = None) -> FormState:
        mine = form_id == act and bool(errors)
        return FormState(prefix or form_id, errors if mine else {}, values if mine else (defaults or {}), shown)

    return form, shown
