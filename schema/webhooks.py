"""Outbound webhooks: endpoints, their secret (shown once), deliveries and attempts — thin calls
into resolvers/webhooks.py."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry

from models import NotificationType as NotificationTypeModel
from models import User as UserModel
from models import WebhookAttempt as AttemptModel
from models import WebhookDelivery as DeliveryModel
from models import WebhookEndpoint as EndpointModel
from resolvers import webhooks as ops
from resolvers.cursors import PAGE_MAX
from schema.context import Info
from schema.errors import refused_as_bad_input
from schema.input_ids import pk_of
from schema.node import Node, encode_id
from schema.payloads import Payload, refused_as
from schema.relay import PageInfo, cursored, page_info


@strawberry.enum(description="What a webhook endpoint can be sent: events about your own data.")
class WebhookEvent(StrEnum):
    SYNC_COMPLETED = "SYNC_COMPLETED"
    SYNC_FAILED = "SYNC_FAILED"
    SOCIAL_ACCOUNT_DISCONNECTED = "SOCIAL_ACCOUNT_DISCONNECTED"
    COLLAB_REQUEST_RECEIVED = "COLLAB_REQUEST_RECEIVED"
    MESSAGE_RECEIVED = "MESSAGE_RECEIVED"


@strawberry.type(description="One try at sending a delivery.")
class WebhookAttempt:
    status_code: int | None = strawberry.field(
        description="The HTTP status the endpoint answered; null when no answer came."
    )
    latency_ms: int = strawberry.field(description="How long the attempt took, in milliseconds.")
    error: str | None = strawberry.field(description="Why it failed; null when it succeeded.")
    attempted_at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_model(cls, m: AttemptModel) -> WebhookAttempt:
        return cls(
            status_code=m.status_code,
            latency_ms=m.latency_ms,
            error=m.error,
            attempted_at=m.attempted_at,
        )


@strawberry.type(description="One event sent (or being sent) to a webhook endpoint.")
class WebhookDelivery(Node):
    event: str = strawberry.field(description="The event type: a WebhookEvent, or PING.")
    created_at: datetime = strawberry.field(description="When it was queued.")
    delivered_at: datetime | None = strawberry.field(
        description="When the endpoint accepted it (a 2xx answer); null until then."
    )
    given_up_at: datetime | None = strawberry.field(
        description="When retrying stopped (after 24 hours, or the endpoint was disabled)."
    )
    next_attempt_at: datetime | None = strawberry.field(
        description="When it is tried next; null once delivered or given up."
    )
    attempts: list[WebhookAttempt] = strawberry.field(description="Every try, oldest first.")

    @classmethod
    def from_model(cls, m: DeliveryModel, attempts: list[AttemptModel]) -> WebhookDelivery:
        pending = m.delivered_at is None and m.given_up_at is None
        return cls(
            id=encode_id("WebhookDelivery", m.id),
            event=m.event,
            created_at=m.created_at,
            delivered_at=m.delivered_at,
            given_up_at=m.given_up_at,
            next_attempt_at=m.next_attempt_at if pending else None,
            attempts=[WebhookAttempt.from_model(a) for a in attempts],
        )


@strawberry.type(description="A delivery in a page of deliveries.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the ones after it.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="Deliveries, newest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="This page's deliveries.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and where.")


@strawberry.type(
    description="A URL of yours that receives your events, signed the Standard Webhooks way. "
    "Only you see your endpoints."
)
class WebhookEndpoint(Node):
    url: str = strawberry.field(description="Where the events are POSTed.")
    events: list[WebhookEvent] = strawberry.field(description="The events it is sent.")
    enabled: bool = strawberry.field(
        description="False once every delivery failed for 24 hours; nothing is sent then."
    )
    disabled_at: datetime | None = strawberry.field(description="When it was disabled, if it was.")
    created_at: datetime = strawberry.field(description="When it was created.")
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, m: EndpointModel) -> WebhookEndpoint:
        return cls(
            id=encode_id("WebhookEndpoint", m.id),
            url=m.url,
            events=[WebhookEvent(e) for e in m.events],
            enabled=m.disabled_at is None,
            disabled_at=m.disabled_at,
            created_at=m.created_at,
            pk=m.id,
        )

    @strawberry.field(description=f"Its deliveries, newest first. `first` is at most {PAGE_MAX}.")
    @refused_as_bad_input
    async def deliveries(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> WebhookDeliveryConnection:
        viewer = await info.context.require_viewer()
        endpoint = await ops.visible_endpoint(viewer, self.pk)
        if endpoint is None:
            return WebhookDeliveryConnection(
                edges=[],
                page_info=PageInfo(
                    has_next_page=False, has_previous_page=False, start_cursor=None, end_cursor=None
                ),
            )
        page = await ops.list_deliveries(endpoint, first, after)
        attempts = await ops.attempts_of([d.id for d in page.items])
        return WebhookDeliveryConnection(
            edges=[
                WebhookDeliveryEdge(cursor=c, node=WebhookDelivery.from_model(d, attempts[d.id]))
                for d, c in cursored(page)
            ],
            page_info=page_info(page),
        )


@strawberry.type(description="A page of your webhook endpoints, newest first.")
class WebhookEndpointConnection:
    edges: list[WebhookEndpointEdge] = strawberry.field(description="This page's endpoints.")
    page_info: PageInfo = strawberry.field(description="Whether more follow, and where.")


@strawberry.type(description="An endpoint in a page of endpoints.")
class WebhookEndpointEdge:
    cursor: str = strawberry.field(description="Pass as `after` for the ones after it.")
    node: WebhookEndpoint = strawberry.field(description="The endpoint.")


@strawberry.input(description="A webhook endpoint to create.")
class WebhookEndpointCreateInput:
    url: str = strawberry.field(
        description="An https URL on the public internet (checked now and at every delivery); "
        "redirects are not followed."
    )
    events: list[WebhookEvent] = strawberry.field(description="The events to send it.")


@strawberry.type(description="The result of webhookEndpointCreate.")
class WebhookEndpointCreatePayload(Payload):
    endpoint: WebhookEndpoint | None = strawberry.field(
        default=None, description="The new endpoint."
    )
    secret: str | None = strawberry.field(
        default=None,
        description="The signing secret (`whsec_…`), for verifying `webhook-signature`. Shown "
        "in this answer only: store it now.",
    )


@strawberry.input(description="A webhook endpoint of yours.")
class WebhookEndpointInput:
    endpoint: strawberry.ID = strawberry.field(description="The endpoint.")


@strawberry.type(description="The result of webhookEndpointDelete.")
class WebhookEndpointDeletePayload(Payload):
    deleted_endpoint_id: strawberry.ID | None = strawberry.field(
        default=None, description="The ID of the deleted endpoint."
    )


@strawberry.type(description="The result of webhookEndpointTestPing.")
class WebhookEndpointTestPingPayload(Payload):
    delivery: WebhookDelivery | None = strawberry.field(
        default=None, description="The PING delivery, queued and being tried."
    )


@strawberry.type
class WebhookQuery:
    @strawberry.field(description=f"Your webhook endpoints. `first` is at most {PAGE_MAX}.")
    @refused_as_bad_input
    async def webhook_endpoints(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> WebhookEndpointConnection:
        viewer = await info.context.require_viewer()
        page = await ops.list_endpoints(viewer, first, after)
        return WebhookEndpointConnection(
            edges=[
                WebhookEndpointEdge(cursor=c, node=WebhookEndpoint.from_model(e))
                for e, c in cursored(page)
            ],
            page_info=page_info(page),
        )


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description=f"Create a webhook endpoint (at most {ops.MAX_ENDPOINTS}); the answer "
        "carries its signing secret, shown once."
    )
    @refused_as(WebhookEndpointCreatePayload)
    async def webhook_endpoint_create(
        self, info: Info, input: WebhookEndpointCreateInput
    ) -> WebhookEndpointCreatePayload:
        viewer = await info.context.require_viewer()
        created = await ops.create_endpoint(
            info.context.services,
            viewer,
            input.url,
            [NotificationTypeModel(e.value) for e in input.events],
        )
        return WebhookEndpointCreatePayload(
            endpoint=WebhookEndpoint.from_model(created.endpoint), secret=created.secret
        )

    @strawberry.mutation(description="Delete one of your webhook endpoints and its deliveries.")
    @refused_as(WebhookEndpointDeletePayload)
    async def webhook_endpoint_delete(
        self, info: Info, input: WebhookEndpointInput
    ) -> WebhookEndpointDeletePayload:
        viewer = await info.context.require_viewer()
        deleted = await ops.delete_endpoint(viewer, pk_of(input.endpoint, "WebhookEndpoint"))
        return WebhookEndpointDeletePayload(
            deleted_endpoint_id=encode_id("WebhookEndpoint", deleted)
        )

    @strawberry.mutation(description="Send a PING event to one of your enabled endpoints.")
    @refused_as(WebhookEndpointTestPingPayload)
    async def webhook_endpoint_test_ping(
        self, info: Info, input: WebhookEndpointInput
    ) -> WebhookEndpointTestPingPayload:
        viewer = await info.context.require_viewer()
        delivery = await ops.queue_ping(
            info.context.services, viewer, pk_of(input.endpoint, "WebhookEndpoint")
        )
        return WebhookEndpointTestPingPayload(delivery=WebhookDelivery.from_model(delivery, []))


WEBHOOK_NODE_TYPES = frozenset({"WebhookEndpoint", "WebhookDelivery"})


async def webhook_node(viewer: UserModel | None, type_name: str, pk: int) -> Node | None:
    """Visible to the endpoint's owner only; anyone else gets null, as for no object."""
    if viewer is None:
        return None
    if type_name == "WebhookEndpoint":
        endpoint = await ops.visible_endpoint(viewer, pk)
        return WebhookEndpoint.from_model(endpoint) if endpoint else None
    delivery = await ops.visible_delivery(viewer, pk)
    if delivery is None:
        return None
    attempts = await ops.attempts_of([delivery.id])
    return WebhookDelivery.from_model(delivery, attempts[delivery.id])
