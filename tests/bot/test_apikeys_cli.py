"""`cocreate apikeys add|list|revoke`: a partner's key is printed once and only its hash is
kept; a revoked key is refused at its next request; both changes are in the audit log."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from bot.app import App
from storage.api_key_models import ApiKey
from tests.conftest import Cocreate
from tests.web.test_open311 import POTHOLE, post

pytestmark = pytest.mark.postgres


def test_a_key_is_printed_once_kept_as_a_hash_and_works_until_revoked(app: App, cocreate: Cocreate) -> None:
    added = cocreate("apikeys", "add", "city-call-centre")
    assert added.exit_code == 0, added.stderr
    key = added.stdout.strip()
    assert key.startswith("co311_") and len(key) > 40 and "\n" not in key  # alone on stdout: KEY=$(...) works
    assert "shown this once" in added.stderr
    with Session(app.database) as session:
        stored = session.exec(select(ApiKey)).one()
        assert stored.key_hash != key and key not in stored.key_hash
    form = {"service_code": "roads", "description": POTHOLE, "address_string": "Main St"}
    assert post(app, api_key=key, **form).status_code == 201
    listed = cocreate("apikeys", "list").stdout
    assert "city-call-centre  active" in listed and "1 requests" in listed and key not in listed
    revoked = cocreate("apikeys", "revoke", "city-call-centre")
    assert revoked.exit_code == 0 and "is revoked" in revoked.stdout
    assert post(app, api_key=key, **form).status_code == 403
    assert "revoked 2026-" in cocreate("apikeys", "list").stdout
    assert "was revoked already" in cocreate("apikeys", "revoke", "city-call-centre").stdout
    audit = cocreate("audit").stdout
    assert "apikey_add" in audit and "apikey_revoke" in audit and key not in audit


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("apikeys", "revoke", "nobody"), "There is no key named 'nobody'"),
        (("apikeys", "add", "bad\nname"), "is not a key name"),
        (("apikeys", "add", "-"), "is not a key name"),
    ],
)
def test_key_mistakes_are_one_line_and_exit_2(cocreate: Cocreate, args: tuple[str, ...], says: str) -> None:
    result = cocreate(*args)
    assert result.exit_code == 2 and says in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_name_is_never_given_twice(cocreate: Cocreate) -> None:
    assert cocreate("apikeys", "add", "app").exit_code == 0
    cocreate("apikeys", "revoke", "app")
    again = cocreate("apikeys", "add", "app")
    assert again.exit_code == 2 and "exists already" in again.stderr and again.stdout == ""


def test_no_keys_says_how_to_make_one(cocreate: Cocreate) -> None:
    assert "cocreate apikeys add NAME" in cocreate("apikeys", "list").stdout


def test_a_rate_limit_that_is_no_number_of_requests_is_one_line_naming_it(cocreate: Cocreate) -> None:
    result = cocreate("apikeys", "list", OPEN311_POSTS_PER_HOUR="0")
    assert result.exit_code == 2
    assert result.stderr.strip() == "OPEN311_POSTS_PER_HOUR: 0 is not a number of requests from 1 to 100000"
