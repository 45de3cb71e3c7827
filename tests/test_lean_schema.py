"""What schema/lean_schema.py keeps changes nothing an operation does: extension hooks found
once per class run as Strawberry runs them; the operation's name and type follow its document."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
import strawberry
from graphql import parse
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from schema.error_codes import SchemaWithErrorCodes

seen: list[str] = []


class Outer(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        seen.append("outer in")
        yield
        seen.append("outer out")

    async def on_validate(self) -> AsyncIterator[None]:
        seen.append("validate in")
        yield
        seen.append("validate out")


class Inner(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        seen.append("inner in")
        try:
            yield
        finally:
            seen.append("inner out")

    def on_execute(self) -> None:  # a plain callable: Strawberry wraps it itself
        seen.append("execute")


class Refuses(SchemaExtension):
    def on_parse(self) -> Iterator[None]:
        raise ValueError("refused")
        yield  # a generator, as Strawberry's hooks are


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "hi"


async def test_hooks_enter_and_leave_in_strawberrys_order_on_every_operation():
    schema = SchemaWithErrorCodes(query=Query, extensions=[Outer, Inner])
    for _ in range(2):
        seen.clear()
        result = await schema.execute("{ hello }")
        assert result.data == {"hello": "hi"}
        assert seen == [
            "outer in",
            "inner in",
            "validate in",
            "validate out",
            "execute",
            "inner out",
            "outer out",
        ]


async def test_an_exception_in_a_hook_leaves_the_hooks_entered_before_it():
    schema = SchemaWithErrorCodes(query=Query, extensions=[Inner, Refuses])
    seen.clear()
    result = await schema.execute("{ hello }")
    assert result.errors and result.errors[0].message == "refused"
    assert seen == ["inner in", "inner out"]


def test_the_operation_name_and_type_follow_the_document_they_were_found_in():
    schema = SchemaWithErrorCodes(query=Query)
    context = schema._create_execution_context("", [OperationType.QUERY])
    assert context.operation_name is None
    with pytest.raises(RuntimeError):
        context.operation_type  # noqa: B018  # no document yet: asked again, raises again
    context.graphql_document = parse("query First { hello }")
    assert (context.operation_name, context.operation_type) == ("First", OperationType.QUERY)
    context.graphql_document = parse("mutation Second { hello }")
    assert (context.operation_name, context.operation_type) == ("Second", OperationType.MUTATION)


class Gives(SchemaExtension):
    def get_results(self) -> dict[str, object]:
        return {"gives": 1}


class GivesLater(SchemaExtension):
    async def get_results(self) -> dict[str, object]:  # type: ignore[override]  # Strawberry awaits either
        return {"later": 2}


async def test_the_extensions_results_are_merged_from_those_that_give_any():
    schema = SchemaWithErrorCodes(query=Query, extensions=[Gives, Outer, GivesLater])
    result = await schema.execute("{ hello }")
    assert result.extensions == {"gives": 1, "later": 2}
