"""The Open311 API held to its own OpenAPI document (bot/web/open311_openapi.json) by
schemathesis: generated requests to every operation, in this process against the ASGI app,
and every answer must be no server error, with a documented status, content type and shape.
Bounded to a few seconds; tests/web/test_open311.py has the examples."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis import GenerationMode
from sqlmodel import Session

from bot.app import App
from bot.operations import partner_keys
from bot.web.console import build_console
from bot.web.server import console_asgi
from tests.conftest import AppFactory
from tests.web.test_open311 import new_problem

# Per mode, across all operations: enough to reach each one many times in a few seconds.
EXAMPLES = 60
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]  # fmt: skip


@pytest.fixture
def open311_app(app_factory: AppFactory) -> tuple[App, str]:
    """An app with a few public problems and a partner's key that may post as much as it likes."""
    app = app_factory(open311_posts_per_hour=100_000)
    new_problem(app, "A deep pothole in front of the library")
    new_problem(app, "The street light on Elm Street is broken", category="lighting")
    with Session(app.database) as session, session.begin():
        key = partner_keys.add_key(session, name="fuzzer", actor="cli:test", via="cli", now=app.clock())
    return app, key


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_every_answer_matches_the_openapi_document(open311_app: tuple[App, str], mode: GenerationMode) -> None:
    """Requests the document allows (valid), and requests it does not (invalid: wrong types,
    missing fields), to every operation. Derandomized, with Hypothesis's example database off:
    every run sends the same cases (a failure reproduces; the suite never flakes on a new
    one) and writes nothing to the working tree."""
    app, key = open311_app
    schema = schemathesis.openapi.from_asgi("/open311/v2/openapi.json", console_asgi(build_console(app)))

    answered: Counter[tuple[str, int]] = Counter()

    @given(case=schema.as_strategy(mode))
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None, derandomize=True)
    def answers_as_documented(case: Any) -> None:
        if case.method == "POST" and isinstance(case.body, dict) and "api_key" in case.body:
            # A real key, and (for valid bodies) a real service: so they are saved and answered 201.
            case.body["api_key"] = key
            if mode is GenerationMode.POSITIVE:
                case.body["service_code"] = "roads"
        response = case.call_and_validate(checks=CHECKS)
        answered[case.method, response.status_code] += 1

    answers_as_documented()
    if mode is GenerationMode.POSITIVE:  # what the document allows is also served, not only refused
        assert answered["GET", 200] and answered["POST", 201], answered
