"""One table's documents of one user: `Repository[Doc, New, Patch]`, typed per table.

Every method calls one data function of the package (`data/<table>:<fn>`, internal, called
with the deploy key and the owner's external id) through its `Store`, which checks the location
first, retries, counts and turns every failure into a DataError. Values are encoded by
`byod.data.codec` against the table's validators before anything is sent (a value Convex would
refuse costs no call); answers are decoded strictly, and a document of another owner in an
answer is a protocol error, whatever the deployment runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from byod.data import codec
from byod.data import cursor as cursors
from byod.data.errors import DataError, refused
from byod.data.ops import op_id_of
from byod.errors import INVALID_ARGUMENT, PROTOCOL_ERROR
from byod.package import get_schema
from byod.schema.tables import Table
from byod.schema.validators import Id, Validator

if TYPE_CHECKING:
    from byod.data.store import Store

Order = Literal["asc", "desc"]
MAX_PAGE = 1000  # documents per page: well inside a transaction's read limits
MAX_SEARCH = 100
MAX_ID = 128
RANGE_BOUNDS = ("gt", "gte", "lt", "lte")
REMOVE_ROUNDS = 10_000  # each round removes up to 1,000 documents


@dataclass(frozen=True)
class Page[D]:
    """One page of documents, and the cursor of the next (None: this was the last)."""

    items: list[D]
    next_cursor: str | None


@dataclass(frozen=True)
class PageQuery[D]:
    """A page to read, not read yet: for `Store.snapshot`, which reads several in one call."""

    repository: Repository[D, Any, Any]
    path: str
    args: dict[str, Any]
    scope: cursors.Scope

    def read(self, value: Any) -> Page[D]:
        """The page in `value`, the data function's answer."""
        answer = codec.decode(value, self.path)
        if not isinstance(answer, dict) or not isinstance(answer.get("page"), list):
            raise DataError(PROTOCOL_ERROR, f"{self.path}: answer is not a page")
        done, following = answer.get("isDone"), answer.get("continueCursor")
        if not isinstance(done, bool) or not isinstance(following, str):
            raise DataError(PROTOCOL_ERROR, f"{self.path}: answer without isDone/continueCursor")
        items = [self.repository.document(item) for item in answer["page"]]
        return Page(items, None if done else cursors.wrap(following, self.scope))


@dataclass(frozen=True)
class GetQuery[D]:
    """A document to read by id, not read yet: for `Store.snapshot`, beside pages."""

    repository: Repository[D, Any, Any]
    path: str
    args: dict[str, Any]

    def read(self, value: Any) -> D | None:
        """The document in `value`, the data function's answer, or None."""
        found = codec.decode(value, self.path)
        return None if found is None else self.repository.document(found)


class Repository[D, N, P]:
    """The documents of one table that belong to the store's user."""

    def __init__(self, store: Store, name: str, table: Table, owner_field: str | None) -> None:
        self.store = store
        self.name = name
        self.table = table
        self.owner_field = owner_field
        self._writable = {k: f for k, f in table.fields.items() if k != owner_field}

    def __repr__(self) -> str:
        return f"Repository({self.name!r})"

    # --- reads --------------------------------------------------------------------------------

    def get(self, document_id: str) -> D | None:
        """The document, or None when it is absent, of another table or of another owner (also
        through a parent), or `document_id` is not an id at all (no call is made then)."""
        if not isinstance(document_id, str) or not 0 < len(document_id) <= MAX_ID:
            return None
        path = self._path("get")

        def work() -> D | None:
            value = codec.decode(self.store.query(path, self._args(id=document_id)), path)
            return None if value is None else self.document(value)

        return self.store.run("get", work)

    def get_query(self, document_id: str) -> GetQuery[D]:
        """A document to read by id with pages in one `Store.snapshot` (as `get` reads it:
        None when absent, malformed, of another table or of another owner)."""
        return GetQuery(self, self._path("get"), self._args(id=str(document_id)[:MAX_ID]))

    def page_query(
        self,
        index: str,
        *,
        order: Order = "asc",
        limit: int = 20,
        cursor: str | None = None,
        eq: Mapping[str, Any] | None = None,
        range: Mapping[str, Any] | None = None,
    ) -> PageQuery[D]:
        """A page by `index`, to read now (`page`) or with others (`Store.snapshot`): `eq` on a
        prefix of the index's fields after the owner field (a parent-owned table's must hold
        the parent field), `range` ({field, gt/gte/lt/lte}) on the next one."""
        fields = self._index_fields(index)
        if order not in ("asc", "desc"):
            raise DataError(INVALID_ARGUMENT, f"{self.name}.{index}: order is asc or desc")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 0 < limit <= MAX_PAGE:
            raise DataError(INVALID_ARGUMENT, f"{self.name}: a page holds 1 to {MAX_PAGE}")
        equal = self._eq(index, fields, dict(eq or {}))
        bounds = self._range(index, fields[len(equal) :], dict(range) if range else None)
        scope = cursors.Scope(self.store.location_tag, self.name, index, order, equal, bounds)
        inner = None if cursor is None else cursors.unwrap(cursor, scope)
        args = self._args(
            index=index,
            eq=equal,
            order=order,
            paginationOpts={"numItems": limit, "cursor": inner},
        )
        if bounds is not None:
            args["range"] = bounds
        return PageQuery(self, self._path("page"), args, scope)

    def page(
        self,
        index: str,
        *,
        order: Order = "asc",
        limit: int = 20,
        cursor: str | None = None,
        eq: Mapping[str, Any] | None = None,
        range: Mapping[str, Any] | None = None,
    ) -> Page[D]:
        """One page by `index` (see `page_query`); `cursor` is a page's `next_cursor`."""

        def work() -> Page[D]:
            query = self.page_query(
                index, order=order, limit=limit, cursor=cursor, eq=eq, range=range
            )
            return query.read(self.store.query(query.path, query.args))

        return self.store.run("page", work)

    def search(
        self, index: str, query: str, *, eq: Mapping[str, Any] | None = None, limit: int = 20
    ) -> list[D]:
        """Documents matching `query` by the search index `index`, best first; `eq` on its
        other filter fields."""

        def work() -> list[D]:
            found = next((s for s in self.table.search_indexes if s.name == index), None)
            if found is None:
                raise DataError(INVALID_ARGUMENT, f"{self.name}: no search index {index}")
            if isinstance(limit, bool) or not isinstance(limit, int):
                raise DataError(INVALID_ARGUMENT, f"{self.name}: limit is a whole number")
            if not 0 < limit <= MAX_SEARCH:
                raise DataError(INVALID_ARGUMENT, f"{self.name}: search 1 to {MAX_SEARCH}")
            filters = [f for f in found.filter_fields if f != self.owner_field]
            equal = {}
            for name, value in (eq or {}).items():
                if name not in filters:
                    raise DataError(INVALID_ARGUMENT, f"{self.name}.{index}: no filter {name}")
                equal[name] = codec.encode(value, self._validator(name), f"eq.{name}")
            text = codec.encode(query, self._validator(found.search_field), "query")
            args = self._args(index=index, query=text, limit=limit)
            if equal:
                args["eq"] = equal
            path = self._path("search")
            answer = codec.decode(self.store.query(path, args), path)
            if not isinstance(answer, list):
                raise DataError(PROTOCOL_ERROR, f"{path}: answer is not a list")
            return [self.document(item) for item in answer]

        return self.store.run("search", work)

    # --- writes -------------------------------------------------------------------------------

    def insert(self, document: N, *, op_id: str | None = None) -> str:
        """Insert `document` (without the owner field: the function sets it); returns its id.
        Every id it holds must be one of the owner's documents (else not_found). `op_id`: the
        caller's operation id (e.g. a form's), so that sending the same write twice writes once;
        by default a new one."""

        def work() -> str:
            doc = codec.encode_document(_mapping(document), self._writable, partial=False)
            return self._id_of(self._mutation("insert", op_id, doc=doc))

        return self.store.run("insert", work)

    def patch(
        self, document_id: str, fields: P, unset: Sequence[str] = (), *, op_id: str | None = None
    ) -> None:
        """Set `fields` of the owner's document and remove the optional fields in `unset`;
        not_found when the document is absent or another owner's. `op_id` as for insert."""

        def work() -> None:
            changes = codec.encode_document(_mapping(fields), self._writable, partial=True)
            removed = []
            for name in unset:
                field = self._writable.get(name)
                if field is None or not field.optional:
                    raise refused(name, "only an optional field can be removed")
                if name in changes:
                    raise refused(name, "a field is either set or removed")
                removed.append(name)
            args: dict[str, Any] = {"id": self._id(document_id), "fields": changes}
            if removed:
                args["unset"] = removed
            self._id_of(self._mutation("patch", op_id, **args))

        self.store.run("patch", work)

    def remove(self, document_id: str, *, op_id: str | None = None) -> int:
        """Remove the owner's document and everything that belongs to it (children first, in
        batches within the transaction limits); returns how many documents were removed.
        `op_id`: each batch's operation id is made from it (`<op_id>.<batch>`), so the same
        removal sent twice removes once and answers the same count."""

        def work() -> int:
            removed = 0
            for batch in range(REMOVE_ROUNDS):
                op = None if op_id is None else f"{op_id}.{batch}"
                answer = codec.decode(self._mutation("remove", op, id=self._id(document_id)))
                done, count = _removal(answer, self._path("remove"))
                removed += count
                if done:
                    return removed
            raise DataError(PROTOCOL_ERROR, f"{self.name}: remove never finished")

        return self.store.run("remove", work)

    # --- helpers ------------------------------------------------------------------------------

    def document(self, doc: Any) -> D:
        """`doc` (decoded already) as a document of this table and owner, or a protocol error."""
        if not (
            isinstance(doc, dict)
            and isinstance(doc.get("_id"), str)
            and isinstance(doc.get("_creationTime"), float)
        ):
            raise DataError(PROTOCOL_ERROR, f"{self.name}: answer is not a document")
        if self.owner_field is not None and doc.get(self.owner_field) != self.store.owner:
            raise DataError(PROTOCOL_ERROR, f"{self.name}: answer holds another owner's document")
        return cast(D, doc)

    def _path(self, function: str) -> str:
        return f"data/{self.name}:{function}"

    def _args(self, **args: Any) -> dict[str, Any]:
        return {"owner": self.store.owner, **args}

    def _mutation(self, function: str, op_id: str | None, **args: Any) -> Any:
        path = self._path(function)
        return self.store.mutation(path, self._args(opId=op_id_of(op_id), **args))

    def _id(self, document_id: str) -> str:
        if not isinstance(document_id, str) or not 0 < len(document_id) <= MAX_ID:
            raise refused("id", "not a document id")
        return document_id

    def _id_of(self, answer: Any) -> str:
        found = answer.get("id") if isinstance(answer, dict) else None
        if not isinstance(found, str) or not 0 < len(found) <= MAX_ID:
            raise DataError(PROTOCOL_ERROR, f"{self.name}: answer without the document's id")
        return found

    def _validator(self, field: str) -> Validator:
        found = self.table.fields.get(field.split(".", 1)[0])
        return found if found is not None and "." not in field else codec.ANY

    def _index_fields(self, index: str) -> tuple[str, ...]:
        found = next((i for i in self.table.indexes if i.name == index), None)
        if found is None:
            raise DataError(INVALID_ARGUMENT, f"{self.name}: no index {index}")
        if self.owner_field is not None:
            if found.fields[0] == self.owner_field:
                return found.fields[1:]
            if not self._parent_field(found.fields[0]):
                raise DataError(INVALID_ARGUMENT, f"{self.name}.{index}: not an owner's index")
        # A parent-owned table's index, or a field-owned table's that starts with a required
        # reference to an owned table (messages by conversation): paged through that parent,
        # which the data function checks is the owner's; `eq` must hold it.
        return found.fields

    def _first_field(self, index: str) -> str:
        found = next(i for i in self.table.indexes if i.name == index)
        return found.fields[0]

    def _parent_field(self, field: str) -> bool:
        """Whether `field` is a required id of a table whose documents have an owner."""
        validator = self.table.fields.get(field)
        if not isinstance(validator, Id) or validator.optional:
            return False
        parent = get_schema().tables.get(validator.table_name)
        ownership = parent.ownership if parent is not None else None
        return ownership is not None and ownership.kind in ("field", "parent")

    def _eq(self, index: str, fields: tuple[str, ...], eq: dict[str, Any]) -> dict[str, Any]:
        names = list(eq)
        if names != list(fields[: len(names)]):
            raise DataError(
                INVALID_ARGUMENT,
                f"{self.name}.{index}: eq must name a prefix of {', '.join(fields) or '()'}",
            )
        through_parent = self.owner_field is None or self._first_field(index) != self.owner_field
        if through_parent and not names:
            raise DataError(INVALID_ARGUMENT, f"{self.name}.{index}: eq must hold the parent")
        return {k: codec.encode(v, self._validator(k), f"eq.{k}") for k, v in eq.items()}

    def _range(
        self, index: str, rest: tuple[str, ...], bounds: dict[str, Any] | None
    ) -> dict[str, Any] | None:
        if bounds is None:
            return None
        field = bounds.pop("field", None)
        if not rest or field != rest[0] or not bounds or set(bounds) - set(RANGE_BOUNDS):
            raise DataError(
                INVALID_ARGUMENT,
                f"{self.name}.{index}: range is {{field: the next index field, gt/gte/lt/lte}}",
            )
        validator = self._validator(field)
        encoded = {k: codec.encode(v, validator, f"range.{k}") for k, v in bounds.items()}
        return {"field": field, **encoded}


def _mapping(value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise refused("", "a document is a dict")
    return dict(value)


def _removal(answer: Any, path: str) -> tuple[bool, int]:
    done = answer.get("done") if isinstance(answer, dict) else None
    count = answer.get("removed") if isinstance(answer, dict) else None
    if not isinstance(done, bool) or not isinstance(count, float):
        raise DataError(PROTOCOL_ERROR, f"{path}: answer is not {{done, removed}}")
    if not 0 <= count <= 1_000_000 or count != int(count):
        raise DataError(PROTOCOL_ERROR, f"{path}: answer's count is out of range")
    return done, int(count)
