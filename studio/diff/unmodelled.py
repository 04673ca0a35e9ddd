"""Objects of kinds the model does not hold, compared by identity only (pure).

`diff` never creates, drops or alters them: a conversion, a foreign table or
a text search parser present on one side only is left as it is by the
migration, which may then not reach the target, or fail where a change
depends on it (a function a conversion uses cannot be dropped). So it is
named, never passed over: the faces warn, and `check` fails. Objects present
on both sides are not compared beyond their identity, and the report says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.words import counted, plural

if TYPE_CHECKING:
    from studio.model import Schema, Unmodelled

# how many objects a line names before it says "and N more"
_SHOWN = 5


@dataclass(frozen=True, slots=True)
class UnmodelledReport:
    """What two schemas hold of the kinds the model lacks, by side."""

    # on the old side only: a migration leaves them in place
    only_old: tuple[Unmodelled, ...] = ()
    # on the new side only: a migration does not create them
    only_new: tuple[Unmodelled, ...] = ()
    # on both sides: their definitions are not compared
    both: tuple[Unmodelled, ...] = ()

    @property
    def differs(self) -> bool:
        """Whether one side holds an unmodelled object the other lacks."""
        return bool(self.only_old or self.only_new)

    def problems(self, old: str = "the old side", new: str = "the new side") -> tuple[str, ...]:
        """One line per object on one side only, saying what the migration will not do about it."""
        return tuple(
            [
                f"{u.kind} {u.identity} is only in {old}: not modelled,"
                " so the migration does not drop it"
                for u in self.only_old
            ]
            + [
                f"{u.kind} {u.identity} is only in {new}: not modelled,"
                " so the migration does not create it"
                for u in self.only_new
            ]
        )

    def note(self) -> str | None:
        """A line about the objects on both sides, which are not compared.

        None when there are none.
        """
        if not self.both:
            return None
        names = ", ".join(f"{u.kind} {u.identity}" for u in self.both[:_SHOWN])
        more = f" and {len(self.both) - _SHOWN} more" if len(self.both) > _SHOWN else ""
        return (
            f"{counted(len(self.both), 'object')} of kinds schema-studio does not model"
            f" {plural(len(self.both), 'is')} on both sides"
            f" and were not compared: {names}{more}"
        )

    def to_dict(self) -> dict[str, list[dict[str, str | None]]]:
        """The JSON form: each side's objects by kind, identity and schema."""

        def rows(items: tuple[Unmodelled, ...]) -> list[dict[str, str | None]]:
            return [{"kind": u.kind, "identity": u.identity, "schema": u.schema} for u in items]

        return {
            "only_old": rows(self.only_old),
            "only_new": rows(self.only_new),
            "not_compared": rows(self.both),
        }


def unmodelled(old: Schema, new: Schema) -> UnmodelledReport:
    """Compare the unmodelled objects of two schemas by kind and identity."""
    a, b = old.unmodelled, new.unmodelled
    return UnmodelledReport(
        only_old=tuple(a[k] for k in sorted(a.keys() - b.keys())),
        only_new=tuple(b[k] for k in sorted(b.keys() - a.keys())),
        both=tuple(a[k] for k in sorted(a.keys() & b.keys())),
    )
