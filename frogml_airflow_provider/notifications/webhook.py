"""``FrogMLWebhookNotifier``: call a custom webhook the way JFrog ML does."""

from __future__ import annotations

from typing import Any

from frogml_airflow_provider.automations.notifications import is_secret_header
from frogml_airflow_provider.notifications._delivery import Outcome, send
from frogml_airflow_provider.notifications.base import FrogMLBaseNotifier, secrets


class FrogMLWebhookNotifier(FrogMLBaseNotifier):
    """Calls ``url`` with ``execution_date``, ``model_id``, ``automation``, ``status`` and
    ``build_id`` merged with ``data``: in the query string for GET, as a JSON body for every
    other method (as JFrog ML documents it). ``headers`` are sent as given, to the URL's origin
    only (see ``_delivery``). The URL and header values are credentials (all but those of
    ``Content-Type``, ``Accept`` and ``User-Agent``): not template fields, never logged or
    serialized. ``data`` values may be Jinja templates, rendered for each run.
    """

    def __init__(
        self,
        url: str,
        http_method: str = "GET",
        headers: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._url = url
        self.http_method = http_method.upper()
        self._headers = dict(headers or {})
        self.data = dict(data or {})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url='***', http_method={self.http_method!r}, headers={list(self._headers)})"

    def deliver(self, context: Any) -> Outcome:
        secrets(self._url, *(value for name, value in self._headers.items() if is_secret_header(name)))
        facts = self.facts(context)
        # ``data`` templates also see the crossing that started the run: {{ frogml_evaluation.value }}
        jinja: Any = {**context, "frogml_evaluation": facts.evaluation or {}}
        data = {key: str(self.render_template(value, jinja)) for key, value in self.data.items()}
        payload = {**data, **facts.platform_params()}
        in_query = self.http_method == "GET"
        return send(
            self.http_method,
            self._url,
            params=payload if in_query else None,
            body=None if in_query else payload,
            headers=self._headers,
            policy=self.delivery_policy(),
            what=f"webhook notification for {facts.automation!r}",
        )
