"""Enums that several domains' types and inputs share (profiles, accounts, discovery, sync,
platforms). An enum one domain uses stays in that domain's module.

``strawberry.enum(cls, …)`` marks ``cls`` itself as a GraphQL enum (and returns it), so every
module names the marked class with a plain alias: mypy takes an alias as a type, whereas a name
bound to the call's result is a variable that no annotation may use."""

from __future__ import annotations

import strawberry

from models import Platform as PlatformEnum
from models import Role as RoleEnum

strawberry.enum(PlatformEnum, name="Platform", description="A social platform.")
Platform = PlatformEnum
strawberry.enum(RoleEnum, name="Role", description="What a user is on the platform.")
Role = RoleEnum
