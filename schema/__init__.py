"""Builds the schema from each domain's Query / Mutation parts, with its protections."""

from __future__ import annotations

from collections.abc import Callable

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from resolvers import profile_reads
from resolvers.profile_views import count_profile_view
from schema.account_email import AccountEmailMutation
from schema.account_lifecycle import AccountLifecycleMutation
from schema.accounts import AccountMutation, AccountQuery, User
from schema.admin import AdminMutation, AdminQuery
from schema.context import Info
from schema.discovery import DiscoveryQuery
from schema.document_cache import DocumentCache
from schema.error_codes import HideSuggestionsExecutionContext, SchemaWithErrorCodes
from schema.extensions import MaskErrorsWithRequestId, SubscriptionsOverWebSocket
from schema.limit_rules import mutation_limit_rules
from schema.matching import MatchingQuery
from schema.node import Node, decode_id
from schema.operation_observer import ObserveOperations
from schema.operation_rules import ApplyOperationRules, OperationRules
from schema.passwords import PasswordMutation
from schema.plain_fields import read_attributes_directly
from schema.platforms import PlatformMutation, PlatformQuery
from schema.profiles import Profile, ProfileMutation, ProfileQuery
from schema.query_limits import QueryLimits, QueryLimitSettings
from schema.realtime import (
    REALTIME_MUTATIONS,
    REALTIME_NODE_TYPES,
    REALTIME_QUERIES,
    SUBSCRIPTIONS,
    realtime_node,
)
from schema.refresh_all import RefreshAllMutation
from schema.scalars import SCALARS
from schema.sync import SyncMutation
from schema.webhooks import WEBHOOK_NODE_TYPES, WebhookMutation, WebhookQuery, webhook_node
from settings import Settings


@strawberry.type
class NodeQuery:
    @strawberry.field(
        description="Any object by its global ID; null when absent or not visible to you."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        decoded = decode_id(id)
        if decoded is None:
            return None
        type_name, pk = decoded
        viewer = await info.context.viewer()
        if type_name == "Profile":
            found = await profile_reads.visible_profile(viewer, pk)
            if found is None:
                return None
            count_profile_view(info.context.services, viewer, found.profile)
            return Profile.from_visible(found)
        if type_name == "User" and viewer is not None and viewer.id == pk:
            return User.from_model(viewer)
        if type_name in REALTIME_NODE_TYPES:
            return await realtime_node(viewer, type_name, pk)
        if type_name in WEBHOOK_NODE_TYPES:
            return await webhook_node(viewer, type_name, pk)
        return None


# merge_types takes no description, so each root subclasses the merged type (which keeps
# merge_types' duplicate-field warning) and describes itself.
@strawberry.type(description="The entry points for reading data.")
class Query(
    merge_types(  # type: ignore[misc]  # merge_types makes the base at runtime
        "Query",
        (
            AccountQuery,
            NodeQuery,
            ProfileQuery,
            DiscoveryQuery,
            MatchingQuery,
            PlatformQuery,
            *REALTIME_QUERIES,
            AdminQuery,
            WebhookQuery,
        ),
    )
):
    pass


@strawberry.type(description="The entry points for changing data.")
class Mutation(
    merge_types(  # type: ignore[misc]  # merge_types makes the base at runtime
        "Mutation",
        (
            AccountMutation,
            AccountLifecycleMutation,
            AccountEmailMutation,
            PasswordMutation,
            ProfileMutation,
            SyncMutation,
            PlatformMutation,
            RefreshAllMutation,
            *REALTIME_MUTATIONS,
            AdminMutation,
            WebhookMutation,
        ),
    )
):
    pass


@strawberry.type(description="Live events, over a graphql-transport-ws WebSocket.")
class Subscription(merge_types("Subscription", SUBSCRIPTIONS)):  # type: ignore[misc]  # merge_types makes the base at runtime
    pass


def build_schema(settings: Settings) -> strawberry.Schema:
    # The depth and alias limiters each mint a new rule class when constructed, and the rule
    # classes are part of the validation cache's key: built per request, the cache would never
    # hit (measured: validation was ~60% of a profile read). Build the rules once, here.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        *mutation_limit_rules(settings.max_repeated_mutations),
    ]
    # Parsed and validated documents, bounded in bytes, shared by every request to this schema.
    documents = DocumentCache(settings.parse_cache_bytes)
    query_limits = QueryLimitSettings.from_settings(settings)
    # The token limit, these rules, the client-error rules and the introspection ban: one
    # extension, its final rule tuple built once (schema/operation_rules.py).
    rules = OperationRules(
        max_tokens=settings.max_tokens,
        added=limit_rules,
        hide_suggestions=not settings.introspection,
        introspection=settings.introspection,
    )
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        lambda: ApplyOperationRules(rules),
        lambda: QueryLimits(query_limits, documents),
        MaskErrorsWithRequestId,
        SubscriptionsOverWebSocket,
        # After the masking extension, so it leaves first and sees the errors unmasked.
        ObserveOperations,
    ]
    schema = SchemaWithErrorCodes(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Profile, User],
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALARS, batching_config=None),
        # Without introspection, variable errors must not suggest names either.
        execution_context_class=None if settings.introspection else HideSuggestionsExecutionContext,
    )
    read_attributes_directly(schema._schema)
    return schema
