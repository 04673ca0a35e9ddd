"""Domain changes: create, drop, default, NOT NULL, CHECK constraints."""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.model import Domain, DomainConstraint, quote_ident
from studio.model.changes.base import NO_DEPS, Change, Deps, con_key, nsp_key, type_key


@dataclass(frozen=True, slots=True)
class CreateDomain(Change):
    """CREATE DOMAIN, then its CHECK constraints (NOT VALID ones can only be added after)."""

    domain: Domain
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        d = self.domain
        text = f"CREATE DOMAIN {d.key} AS {d.base_type}"
        if d.collation:
            text += f" COLLATE {d.collation}"
        if d.default is not None:
            text += f" DEFAULT {d.default}"
        if d.not_null:
            text += " NOT NULL"
        return (text, *(AddDomainConstraint(d.key, c).sql()[0] for c in d.constraints))

    def describe(self) -> str:
        return f"create domain {self.domain.key}"

    def inverse(self) -> Change:
        return DropDomain(self.domain)

    @property
    def provides(self) -> frozenset[str]:
        return _domain_keys(self.domain)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({nsp_key(self.domain.schema)})


@dataclass(frozen=True, slots=True)
class DropDomain(Change):
    """DROP DOMAIN."""

    domain: Domain
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (f"DROP DOMAIN {self.domain.key}",)

    def describe(self) -> str:
        return f"drop domain {self.domain.key}"

    def inverse(self) -> Change:
        return CreateDomain(self.domain)

    @property
    def removes(self) -> frozenset[str]:
        return _domain_keys(self.domain)


def _domain_keys(d: Domain) -> frozenset[str]:
    """Keys of a domain and of its CHECK constraints."""
    return frozenset({type_key(d.key)} | {con_key(d.key, c.name) for c in d.constraints})


@dataclass(frozen=True, slots=True)
class SetDomainDefault(Change):
    """ALTER DOMAIN ... SET DEFAULT / DROP DEFAULT."""

    domain: str
    default: str | None
    old_default: str | None = None

    def sql(self) -> tuple[str, ...]:
        action = "DROP DEFAULT" if self.default is None else f"SET DEFAULT {self.default}"
        return (f"ALTER DOMAIN {self.domain} {action}",)

    def describe(self) -> str:
        return f"{'drop' if self.default is None else 'set'} default of domain {self.domain}"

    def inverse(self) -> Change:
        return SetDomainDefault(self.domain, self.old_default, self.default)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})


@dataclass(frozen=True, slots=True)
class SetDomainNotNull(Change):
    """ALTER DOMAIN ... SET NOT NULL (checks every column using it) / DROP NOT NULL."""

    domain: str
    not_null: bool

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER DOMAIN {self.domain} {'SET' if self.not_null else 'DROP'} NOT NULL",)

    def describe(self) -> str:
        return f"{'set' if self.not_null else 'drop'} not null on domain {self.domain}"

    def inverse(self) -> Change:
        return SetDomainNotNull(self.domain, not self.not_null)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})


@dataclass(frozen=True, slots=True)
class AddDomainConstraint(Change):
    """ALTER DOMAIN ... ADD CONSTRAINT name CHECK (...) [NOT VALID]."""

    domain: str
    constraint: DomainConstraint

    def sql(self) -> tuple[str, ...]:
        c = self.constraint
        return (f"ALTER DOMAIN {self.domain} ADD CONSTRAINT {quote_ident(c.name)} {c.definition}",)

    def describe(self) -> str:
        return f"add constraint {quote_ident(self.constraint.name)} to domain {self.domain}"

    def inverse(self) -> Change:
        return DropDomainConstraint(self.domain, self.constraint)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({con_key(self.domain, self.constraint.name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})


@dataclass(frozen=True, slots=True)
class DropDomainConstraint(Change):
    """ALTER DOMAIN ... DROP CONSTRAINT."""

    domain: str
    constraint: DomainConstraint

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER DOMAIN {self.domain} DROP CONSTRAINT {quote_ident(self.constraint.name)}",)

    def describe(self) -> str:
        return f"drop constraint {quote_ident(self.constraint.name)} of domain {self.domain}"

    def inverse(self) -> Change:
        return AddDomainConstraint(self.domain, self.constraint)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({con_key(self.domain, self.constraint.name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})


@dataclass(frozen=True, slots=True)
class ValidateDomainConstraint(Change):
    """ALTER DOMAIN ... VALIDATE CONSTRAINT."""

    domain: str
    name: str

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER DOMAIN {self.domain} VALIDATE CONSTRAINT {quote_ident(self.name)}",)

    def describe(self) -> str:
        return f"validate constraint {quote_ident(self.name)} of domain {self.domain}"

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({type_key(self.domain)})
