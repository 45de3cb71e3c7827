"""Enums that several domains' types and inputs share (profiles, accounts, discovery, sync,
platforms). An enum one domain uses stays in that domain's module."""

from __future__ import annotations

import strawberry

from models import Platform as PlatformEnum
from models import Role as RoleEnum

Platform = strawberry.enum(PlatformEnum, name="Platform", description="A social platform.")
Role = strawberry.enum(RoleEnum, name="Role", description="What a user is on the platform.")
