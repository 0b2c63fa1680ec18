"""Read-only SQL over a workspace, for queries typed by a user (`obliviate sql`, `obliviate export-query`).

Opening the database read-only is not enough: DuckDB's COPY, EXPORT, ATTACH, INSTALL and its file
readers (read_text, read_csv, glob) reach the whole machine, and a COPY can overwrite a stored
Parquet part. So a user query runs on a connection where
- only SELECT (and EXPLAIN) statements are accepted;
- external access is off except for the workspace's `artifacts/` folder, which the views read;
- extensions are never installed or loaded;
- the configuration is then locked, so the query cannot switch any of this back on.
See docs/reliability.md.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import duckdb
import pyarrow as pa

from corpus_tools.errors import ObliviateError
from corpus_tools.store import Store, _has_table, _refresh_views, _sql_str

ALLOWED_STATEMENTS = {"SELECT", "EXPLAIN"}


def sandboxed_connection(store: Store) -> duckdb.DuckDBPyConnection:
    """A read-only connection that can read the workspace's artifacts and nothing else on the machine."""
    con = store.connect(read_only=True)
    root = str(store.root.resolve())
    # The stored views name their files relative to the workspace (so it can move), and DuckDB would also
    # resolve a relative path against the current folder; so this connection gets the same views with
    # absolute paths (temporary, they shadow the stored ones) and only the absolute folder is allowed.
    if _has_table(con, "artifacts"):
        tables = [t for (t,) in con.execute("select distinct unnest(tables) from artifacts").fetchall()]
        _refresh_views(con, tables, absolute_root=root)
    for statement in ("set autoinstall_known_extensions = false", "set autoload_known_extensions = false",
                      f"set allowed_directories = ['{_sql_str(root)}/artifacts/']",
                      "set enable_external_access = false", "set lock_configuration = true"):
        con.execute(statement)
    return con


def check_statements(con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Refuse an empty query and anything but SELECT / EXPLAIN, before anything runs."""
    try:
        statements = con.extract_statements(query)
    except duckdb.Error as exc:
        raise ObliviateError(f"sql: {str(exc).splitlines()[0]}") from None
    if not statements:
        raise ObliviateError("sql: empty query; give a SELECT statement")
    for st in statements:
        kind = st.type.name
        if kind not in ALLOWED_STATEMENTS:
            raise ObliviateError(f"sql is read-only: only SELECT queries run here, not {kind}"
                                 " (to save a result, use `obliviate export-query QUERY --out FILE`)")


def run_query(store: Store, query: str) -> tuple[list[str], list[tuple]]:
    """(column names, rows) of a user's read-only query; any refusal is one ObliviateError line."""
    with sandboxed_connection(store) as con, _errors():
        check_statements(con, query)
        cur = con.execute(query)
        return [d[0] for d in cur.description or []], cur.fetchall()


def query_arrow(store: Store, query: str) -> pa.Table:
    """The same query as an Arrow table (for writing a file in Python, never through DuckDB's COPY)."""
    with sandboxed_connection(store) as con, _errors():
        check_statements(con, query)
        return con.sql(query).to_arrow_table()


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except duckdb.PermissionException as exc:
        raise ObliviateError(f"sql can only read the workspace's own tables: {_first_line(exc)}") from None
    except duckdb.Error as exc:
        message = _first_line(exc)
        if "read-only" in message:
            raise ObliviateError(f"sql is read-only: {message}") from None
        raise ObliviateError(f"sql: {message}") from None


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
