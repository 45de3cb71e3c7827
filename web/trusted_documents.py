"""The trusted documents: the frontend's operations, kept in the repo (schema/documents/, one
operation per ``.graphql`` file) and known by the sha256 of their exact text.

Clients send ``documentId: "sha256:<hex>"`` instead of the text (GraphQL-over-HTTP persisted
documents), or Apollo's ``extensions.persistedQuery.sha256Hash`` with the same hex. Hashing
the exact bytes of each file means the id a client computes from the manifest
(``python app.py documents``) is the id the server knows: no normalisation to disagree on.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from starlette.types import Scope

DOCUMENTS_DIR = Path(__file__).resolve().parent.parent / "schema" / "documents"
PREFIX = "sha256:"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_id(text: str) -> str:
    return PREFIX + sha256_hex(text)


def load_documents(directory: Path = DOCUMENTS_DIR) -> dict[str, str]:
    """``{document id: text}`` for every ``.graphql`` file, in file-name order (read once, at
    start: a document added later needs a deploy, which is the point of trusting them)."""
    documents: dict[str, str] = {}
    for path in sorted(directory.glob("*.graphql")):
        text = path.read_bytes().decode("utf-8")
        documents[document_id(text)] = text
    return documents


def manifest_json(documents: dict[str, str]) -> bytes:
    """The manifest clients and codegen read: ``{id: text}``, indented, sorted by id."""
    return orjson.dumps(documents, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS)


@dataclass(frozen=True, slots=True)
class TrustedRequest:
    """A request that runs one of the trusted documents, however it was named (``documentId``,
    an Apollo hash, or the exact text), as web/persisted_documents.py found it. The layers after
    it (the response cache, the compiled read path) key and dispatch on this instead of parsing
    the request again; a request that does not run a trusted document has none."""

    document_id: str
    text: str
    operation_name: str | None
    variables: dict[str, Any]
    method: str


STATE_KEY = "trusted_request"


def trusted_request(scope: Scope) -> TrustedRequest | None:
    """The request's trusted document, when it runs one (see TrustedRequest)."""
    found = scope.get("state", {}).get(STATE_KEY)
    return found if isinstance(found, TrustedRequest) else None
