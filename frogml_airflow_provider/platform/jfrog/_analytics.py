"""SQL on JFrog ML Model Analytics: submit, poll until it ends (bounded), read the result.

As the SDK's ``AnalyticsEngineClient`` does it: ``Query`` -> query id; ``GetQueryResultsPage``
until SUCCESS, FAILED or CANCELED. The result is read from the pages themselves (headers, typed
columns, rows of strings); a service that returns no inline data is read from its CSV download
URL instead (fetched without our token: it is a pre-signed storage URL). The polls, the further
pages and the download all fit in one ``timeout`` (``[frogml] query_timeout`` for the operators):
no wait runs past it.
"""

from __future__ import annotations

import csv
import io
import urllib.request
from collections.abc import Callable

from frogml_airflow_provider.errors import QueryFailed, QueryTimedOut
from frogml_airflow_provider.platform.base import QueryResult
from frogml_airflow_provider.platform.jfrog._mapping import typed_rows
from frogml_airflow_provider.platform.jfrog.session import Session

PAGE_SIZE = 1000
MAX_PAGES = 1000
DOWNLOAD_TIMEOUT = 60.0


def run_query(
    session: Session,
    sql: str,
    *,
    timeout: float,
    poll_interval: float,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> QueryResult:
    sdk, stub = session.sdk, session.analytics()
    service, status_names = sdk.analytics_service, sdk.analytics.QueryStatus
    shown = " ".join(sql.split())
    shown = shown if len(shown) <= 200 else shown[:197] + "..."
    about = f"the analytics query {shown!r}"
    deadline = clock() + timeout
    query_id = session.call(stub.Query, service.QueryRequest(query=sql), rpc="Query", about=about).query_id
    while True:
        page = session.call(
            stub.GetQueryResultsPage,
            service.GetQueryResultsPageRequest(query_id=query_id, max_results=PAGE_SIZE),
            rpc="GetQueryResultsPage",
            about=about,
        )
        status = status_names.Name(page.status) if page.status in status_names.values() else "INVALID"
        if status == "SUCCESS":
            break
        if status == "FAILED":
            raise QueryFailed(f"{about} failed in JFrog ML Model Analytics: {page.failure_reason or 'no reason given'}")
        if status == "CANCELED":
            raise QueryFailed(f"{about} was cancelled in JFrog ML Model Analytics")
        if clock() >= deadline:
            raise QueryTimedOut(
                f"{about} did not finish within {timeout:g} s (query id {query_id}, last status {status})",
                limit=timeout,
            )
        sleep(min(poll_interval, max(deadline - clock(), 0.0)))
    if not page.data.headers and not page.data.headersDesc and not page.data.rows:
        return _from_csv(session, query_id, about, max(deadline - clock(), 1.0))
    names = [h.name for h in page.data.headersDesc] or list(page.data.headers)
    types = [h.type for h in page.data.headersDesc]
    rows: list[list[str]] = [list(row.values) for row in page.data.rows]
    seen = {""}
    pages = 1
    while page.next_page_id and page.next_page_id not in seen and pages < MAX_PAGES:
        if clock() >= deadline:
            raise QueryTimedOut(
                f"{about} did not return all its pages within {timeout:g} s (query id {query_id}, {pages} read)",
                limit=timeout,
            )
        seen.add(page.next_page_id)
        page = session.call(
            stub.GetQueryResultsPage,
            service.GetQueryResultsPageRequest(query_id=query_id, page_id=page.next_page_id, max_results=PAGE_SIZE),
            rpc="GetQueryResultsPage",
            about=about,
        )
        rows.extend(list(row.values) for row in page.data.rows)
        pages += 1
    return _result(names, types, rows, about)


def _from_csv(session: Session, query_id: str, about: str, time_left: float) -> QueryResult:
    sdk, stub = session.sdk, session.analytics()
    response = session.call(
        stub.GetQueryResultDownloadURL,
        sdk.analytics_service.GetQueryResultDownloadURLRequest(
            params=sdk.analytics.QueryResultDownloadURLParams(query_id=query_id)
        ),
        rpc="GetQueryResultDownloadURL",
        about=about,
    )
    url = response.download_url
    if not url.lower().startswith(("https://", "http://")):
        raise QueryFailed(f"{about} succeeded but its result has no downloadable URL ({url!r})")
    try:
        with urllib.request.urlopen(url, timeout=min(DOWNLOAD_TIMEOUT, time_left)) as answer:
            text = answer.read().decode("utf-8-sig")
    except OSError as error:
        where = url.split("?", 1)[0]  # the query string of a pre-signed URL is a credential
        raise QueryFailed(f"{about} succeeded but its result could not be downloaded from {where}: {error}") from None
    table = list(csv.reader(io.StringIO(text)))
    if not table:
        return QueryResult((), ())
    return _result(table[0], [], table[1:], about)


def _result(names: list[str], types: list[str], rows: list[list[str]], about: str) -> QueryResult:
    try:
        return QueryResult(tuple(names), typed_rows(rows, types))
    except ValueError as error:
        raise QueryFailed(f"{about}: {error}") from None
