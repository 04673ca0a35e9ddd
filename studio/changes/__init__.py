"""The typed diff vocabulary: one frozen dataclass per kind of schema change.

Each change knows its SQL (`sql()`, statements without trailing semicolons),
a one-line `describe()`, whether it destroys data (`destructive`), whether it
can run in a transaction block (`transactional`), whether what it creates
must be committed before use (`commit_before_use`), its `inverse()` (or None),
the relations it `targets`, and the keys ordering works on (see `base`).
Modules are split by object kind; everything is re-exported here.
"""

from __future__ import annotations

from studio.changes.base import Change, Deps
from studio.changes.columns import (
    AddColumn,
    AlterColumnType,
    DropColumn,
    DropDefault,
    DropExpression,
    DropNotNull,
    RenameColumn,
    SetDefault,
    SetNotNull,
)
from studio.changes.constraints import (
    AddConstraint,
    CreateIndex,
    DropConstraint,
    DropIndex,
    RenameConstraint,
    RenameIndex,
    ValidateConstraint,
)
from studio.changes.domains import (
    AddDomainConstraint,
    CreateDomain,
    DropDomain,
    DropDomainConstraint,
    SetDomainDefault,
    SetDomainNotNull,
    ValidateDomainConstraint,
)
from studio.changes.enums import AddEnumValue, CreateEnum, DropEnum, EnumColumn, RecreateEnum
from studio.changes.identity import AddIdentity, AlterIdentity, DropIdentity
from studio.changes.objects import (
    AlterExtensionSchema,
    AlterOwner,
    CreateExtension,
    CreateSchema,
    DropExtension,
    DropSchema,
    GrantPrivilege,
    RevokePrivilege,
    SetComment,
)
from studio.changes.routines import (
    AlterPolicy,
    CreateFunction,
    CreatePolicy,
    CreateTrigger,
    CreateView,
    DropFunction,
    DropPolicy,
    DropTrigger,
    DropView,
    SetTriggerEnabled,
)
from studio.changes.sequences import AlterSequence, CreateSequence, DropSequence, SetSequenceOwner
from studio.changes.tables import (
    AttachPartition,
    CreateTable,
    DetachPartition,
    DropTable,
    ForceRowLevelSecurity,
    RenameTable,
    SetInherit,
    SetLogged,
    SetRowLevelSecurity,
    SetTableOptions,
)

__all__ = [
    "AddColumn",
    "AddConstraint",
    "AddDomainConstraint",
    "AddEnumValue",
    "AddIdentity",
    "AlterColumnType",
    "AlterExtensionSchema",
    "AlterIdentity",
    "AlterOwner",
    "AlterPolicy",
    "AlterSequence",
    "AttachPartition",
    "Change",
    "CreateDomain",
    "CreateEnum",
    "CreateExtension",
    "CreateFunction",
    "CreateIndex",
    "CreatePolicy",
    "CreateSchema",
    "CreateSequence",
    "CreateTable",
    "CreateTrigger",
    "CreateView",
    "Deps",
    "DetachPartition",
    "DropColumn",
    "DropConstraint",
    "DropDefault",
    "DropDomain",
    "DropDomainConstraint",
    "DropEnum",
    "DropExpression",
    "DropExtension",
    "DropFunction",
    "DropIdentity",
    "DropIndex",
    "DropNotNull",
    "DropPolicy",
    "DropSchema",
    "DropSequence",
    "DropTable",
    "DropTrigger",
    "DropView",
    "EnumColumn",
    "ForceRowLevelSecurity",
    "GrantPrivilege",
    "RecreateEnum",
    "RenameColumn",
    "RenameConstraint",
    "RenameIndex",
    "RenameTable",
    "RevokePrivilege",
    "SetComment",
    "SetDefault",
    "SetDomainDefault",
    "SetDomainNotNull",
    "SetInherit",
    "SetLogged",
    "SetNotNull",
    "SetRowLevelSecurity",
    "SetSequenceOwner",
    "SetTableOptions",
    "SetTriggerEnabled",
    "ValidateConstraint",
    "ValidateDomainConstraint",
]
