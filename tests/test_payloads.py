"""Mutation payloads: a refused operation answers as its payload's userErrors, whatever the
mutation; the payload's other fields then say nothing happened."""

from __future__ import annotations

import strawberry

from resolvers.errors import ErrorCode, OperationError
from schema.payloads import Payload, refused_as


@strawberry.type
class WidgetPayload(Payload, errors="Why no widget was made."):
    name: str | None = strawberry.field(default=None, description="The widget made.")
    count: int = strawberry.field(default=0, description="How many were made.")


@strawberry.type
class WidgetMutation:
    @strawberry.mutation(description="Make a widget; refuses the name 'bad'.")
    @refused_as(WidgetPayload)
    async def widget_make(self, name: str) -> WidgetPayload:
        if name == "bad":
            raise OperationError.single(["name"], "Not that name.", ErrorCode.INVALID)
        return WidgetPayload(name=name, count=1)


@strawberry.type
class WidgetQuery:
    ok: bool = True


widget_schema = strawberry.Schema(query=WidgetQuery, mutation=WidgetMutation)
MAKE = "mutation($n: String!) { widgetMake(name: $n) { name count userErrors { field code } } }"


async def test_a_refused_operation_answers_with_user_errors_and_an_empty_result():
    result = await widget_schema.execute(MAKE, variable_values={"n": "bad"})
    assert result.errors is None
    assert result.data == {
        "widgetMake": {
            "name": None,
            "count": 0,
            "userErrors": [{"field": ["name"], "code": "INVALID"}],
        }
    }


async def test_a_successful_operation_answers_with_no_user_errors():
    result = await widget_schema.execute(MAKE, variable_values={"n": "gear"})
    assert result.errors is None
    assert result.data == {"widgetMake": {"name": "gear", "count": 1, "userErrors": []}}


def test_user_errors_is_the_last_field_and_carries_the_payloads_description():
    payload = widget_schema.get_type_by_name("WidgetPayload")
    names = [f.name for f in payload.fields]
    assert names == ["name", "count", "user_errors"]
    assert payload.fields[-1].description == "Why no widget was made."
