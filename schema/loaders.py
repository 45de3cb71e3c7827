"""Per-request DataLoaders, so a page of N profiles costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from models import SocialAccount, User
from resolvers.profiles import accounts_by_profile, users_by_id


@dataclass(slots=True)
class Loaders:
    accounts_by_profile: DataLoader[int, list[SocialAccount]] = field(
        default_factory=lambda: DataLoader(load_fn=accounts_by_profile)
    )
    users: DataLoader[int, User | None] = field(
        default_factory=lambda: DataLoader(load_fn=users_by_id)
    )
