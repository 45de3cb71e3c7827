"""Per-operation work Strawberry does for features this schema does not use, or does again for
what it learned on the previous operation, left out.

Kept apart from the schema's error handling (schema/error_codes.py): these overrides change no
answer, only what an operation costs (bench/strawberry_cost.py).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

import strawberry
from graphql import DocumentNode, MiddlewareManager
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

HookFactory = Callable[[SchemaExtension], Any]


Plan = tuple[tuple[int, HookFactory, bool], ...]
"""A phase's hooks: the extension's index, its hook's context manager factory, whether async."""
_plans: dict[tuple[str, tuple[type[SchemaExtension], ...]], Plan | None] = {}


def _plan(name: str, classes: tuple[type[SchemaExtension], ...]) -> Plan | None:
    """The hooks named ``name`` of extensions of ``classes``, in order; None when one is a plain
    callable (none here), which Strawberry wraps per instance. Kept per phase and classes: a
    schema's extension classes are few and fixed."""
    key = (name, classes)
    if key not in _plans:
        default = getattr(SchemaExtension, name)
        steps: list[tuple[int, HookFactory, bool]] = []
        plan: Plan | None = None
        for index, extension_class in enumerate(classes):
            hook = getattr(extension_class, name)
            if hook is default:
                continue
            if inspect.isgeneratorfunction(hook):
                steps.append((index, contextlib.contextmanager(hook), False))
            elif inspect.isasyncgenfunction(hook):
                steps.append((index, contextlib.asynccontextmanager(hook), True))
            else:
                break
        else:
            plan = tuple(steps)
        _plans[key] = plan
    return _plans[key]


class _KnownHooks(ExtensionContextManagerBase):
    """Strawberry's phase context manager, its hooks found once per set of extension classes.

    Strawberry inspects every extension for every phase of every operation and wraps each hook
    it finds with ``contextlib.contextmanager`` anew (``functools.update_wrapper`` and all):
    about 30 calls per hook, six hooks per operation here. The wrappers built once, bound to
    each operation's extension instances with ``partial``, are entered and left exactly as
    Strawberry's are."""

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        plan = _plan(self.HOOK_NAME, tuple(map(type, extensions)))
        if plan is None:
            super().__init__(extensions)
            return
        self.hooks = [
            WrappedHook(extensions[index], partial(factory, extensions[index]), is_async)
            for index, factory, is_async in plan
        ]


class _Operation(_KnownHooks, OperationContextManager):
    pass


class _Parsing(_KnownHooks, ParsingContextManager):
    pass


class _Validation(_KnownHooks, ValidationContextManager):
    pass


class _Executing(_KnownHooks, ExecutingContextManager):
    pass


class LeanExtensionsRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        """Strawberry's merge of the extensions' results, asking only the extensions whose
        class has results to give: it awaits every extension's ``get_results`` through a new
        coroutine, and all but one here answer the base class's empty dict."""
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if type(extension).get_results is not SchemaExtension.get_results:
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


class LeanExecutionContext(ExecutionContext):
    """Strawberry's execution context, its operation's name and type found once per document.

    Both are properties that search the document's definitions (the type through an Enum call)
    each time they are read, and an operation reads them up to seven times: Strawberry before
    validating, the query limits, the observer and the subscription rule. A new document (the
    parse, or the cache's, replacing none) is searched again; an error is never kept."""

    _named: tuple[DocumentNode, str | None] | None = None
    _typed: tuple[DocumentNode, OperationType] | None = None

    @property
    def operation_name(self) -> str | None:
        document, known = self.graphql_document, self._named
        if known is not None and known[0] is document:
            return known[1]
        name = super().operation_name
        if document is not None:
            self._named = (document, name)
        return name

    @property
    def operation_type(self) -> OperationType:
        document, known = self.graphql_document, self._typed
        if known is not None and known[0] is document:
            return known[1]
        operation_type = super().operation_type  # raises when there is none: not kept
        if document is not None:
            self._typed = (document, operation_type)
        return operation_type


class LeanSchema(strawberry.Schema):
    def _get_middleware_manager(self, extensions: list[SchemaExtension]) -> Any:
        """No manager when no extension resolves fields. graphql-core asks a manager for every
        field's resolver even when it holds no middleware (25 calls on a profile read); with
        none, it calls each resolver as it is, which is what an empty manager answers."""
        manager: MiddlewareManager = super()._get_middleware_manager(extensions)
        return manager if manager.middlewares else None

    def _create_execution_context(  # Strawberry's signature, its class swapped
        self,
        query: str | None,
        allowed_operation_types: Iterable[OperationType],
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionContext:
        return LeanExecutionContext(
            query=query,
            schema=self,
            allowed_operations=allowed_operation_types,
            context=context_value,
            root_value=root_value,
            variables=variable_values,
            provided_operation_name=operation_name,
            operation_extensions=operation_extensions,
        )

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanExtensionsRunner(execution_context=execution_context, extensions=extensions)
