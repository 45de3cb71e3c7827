"""Contacts: `User.collaborators`, the people you have an accepted collaboration with."""

from __future__ import annotations

import strawberry

from models import User as UserModel
from resolvers.contacts import list_collaborators
from schema.people import Person, person_of_profile
from schema.relay import PageInfo, cursored, page_info


@strawberry.type(description="A collaborator in a page of collaborators.")
class CollaboratorEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the ones after it.")
    node: Person = strawberry.field(description="The collaborator.")


@strawberry.type(description="Your collaborators, by display name.")
class CollaboratorConnection:
    edges: list[CollaboratorEdge] = strawberry.field(description="This page's collaborators.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and where.")


async def collaborators_of(
    user: UserModel, search: str | None, first: int | None, after: str | None
) -> CollaboratorConnection:
    page = await list_collaborators(user, search, first, after)
    return CollaboratorConnection(
        edges=[CollaboratorEdge(cursor=c, node=person_of_profile(p)) for p, c in cursored(page)],
        page_info=page_info(page),
    )
