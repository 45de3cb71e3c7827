"""``Person``: a user as other users see them — the people in requests and conversations."""

from __future__ import annotations

import strawberry

from models import Profile as ProfileModel
from resolvers.people import DELETED_USER_NAME
from schema.context import Info
from schema.node import encode_id
from schema.profiles import Profile


@strawberry.type(
    description="A user as others see them. `id` is their User ID, so `sender.id == viewer.id` "
    "tells your own messages apart."
)
class Person:
    id: strawberry.ID = strawberry.field(description="The person's User ID.")
    display_name: str = strawberry.field(description="The name on their profile.")
    avatar_url: str | None = strawberry.field(description="Their avatar, if they set one.")
    is_deleted: bool = strawberry.field(
        default=False,
        description='True when the account was deleted: the name reads "Deleted user", the '
        "avatar and profile are null, and nothing can be sent to them.",
    )
    user_id: strawberry.Private[int]

    @strawberry.field(description="Their profile; null when it is not visible to you.")
    async def profile(self, info: Info) -> Profile | None:
        loaders = info.context.loaders
        profile = await loaders.profiles_by_user.load(self.user_id)
        if profile is None:
            return None
        viewer = await info.context.viewer()
        if viewer is None or viewer.id != self.user_id:
            user = await loaders.users.load(self.user_id)
            if not profile.is_public or not profile.is_active or user is None or user.suspended:
                return None
        return Profile.from_model(profile)


async def person(info: Info, user_id: int) -> Person:
    profile = await info.context.loaders.profiles_by_user.load(user_id)
    if profile is None:  # every account has a profile until it is deleted
        return Person(
            id=encode_id("User", user_id),
            display_name=DELETED_USER_NAME,
            avatar_url=None,
            is_deleted=True,
            user_id=user_id,
        )
    return person_of_profile(profile)


def person_of_profile(profile: ProfileModel) -> Person:
    return Person(
        id=encode_id("User", profile.user_id),
        display_name=profile.display_name,
        avatar_url=profile.avatar_url,
        user_id=profile.user_id,
    )
