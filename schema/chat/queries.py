"""Chat queries: `conversations` and `conversation`."""

from __future__ import annotations

import strawberry

from resolvers.chat.reads import list_conversations, visible_conversation
from resolvers.cursors import PAGE_MAX
from schema.chat.types import Conversation, ConversationConnection, ConversationEdge
from schema.context import Info
from schema.errors import refused_as_bad_input
from schema.input_ids import pk_of
from schema.relay import cursored, page_info


@strawberry.type
class ChatQuery:
    @strawberry.field(
        description=f"Your conversations, most recent activity first. `first` is "
        f"at most {PAGE_MAX}."
    )
    @refused_as_bad_input
    async def conversations(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ConversationConnection:
        viewer = await info.context.require_viewer()
        page = await list_conversations(viewer, first, after)
        return ConversationConnection(
            edges=[
                ConversationEdge(cursor=c, node=Conversation.from_model(m))
                for m, c in cursored(page)
            ],
            page_info=page_info(page),
        )

    @strawberry.field(description="A conversation you are in; null otherwise.")
    async def conversation(self, info: Info, id: strawberry.ID) -> Conversation | None:
        viewer = await info.context.require_viewer()
        found = await visible_conversation(viewer, pk_of(id, "Conversation"))
        return Conversation.from_model(found) if found else None
