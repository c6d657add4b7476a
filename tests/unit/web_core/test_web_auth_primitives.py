"""Password hashes, signed session cookies, CSRF checks and the login limiter, without a server."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request
from hypothesis import given
from hypothesis import strategies as st

from ivr.web.auth import (
    LoginLimiter,
    Session,
    SessionCodec,
    csrf_ok,
    hash_password,
    password_tag,
    verify_password,
)

SECRET = b"unit-test-secret-0123456789abcdef"
HASH = hash_password("s3cret pass")


def test_hashes_are_salted_and_verify_only_the_right_password() -> None:
    assert HASH.startswith("scrypt$16384$8$1$")
    assert hash_password("s3cret pass") != HASH
    assert verify_password("s3cret pass", HASH)
    assert not verify_password("s3cret pasS", HASH)
    assert not verify_password("", HASH)


@given(st.text(max_size=80))
def test_verify_never_raises_on_garbage_hashes(stored: str) -> None:
    assert verify_password("x", stored) is False


def test_a_session_cookie_round_trips_and_expires() -> None:
    codec = SessionCodec(SECRET)
    session = Session(7, "tok", 1000.0, password_tag(HASH))
    value = codec.encode(session)
    assert codec.decode(value, now=999.0) == session
    assert codec.decode(value, now=1000.0) is None


def test_a_cookie_signed_with_another_secret_or_edited_is_refused() -> None:
    value = SessionCodec(SECRET).encode(Session(7, "tok", 1000.0, "tag"))
    assert SessionCodec(b"another-secret-0123456789abcdef!").decode(value, now=0) is None
    body, _, signature = value.partition(".")
    forged = SessionCodec(SECRET).encode(Session(8, "tok", 1000.0, "tag")).partition(".")[0]
    assert SessionCodec(SECRET).decode(f"{forged}.{signature}", now=0) is None
    assert SessionCodec(SECRET).decode(body, now=0) is None


@given(st.text(max_size=200))
def test_decoding_garbage_cookies_gives_none(value: str) -> None:
    assert SessionCodec(SECRET).decode(value, now=0) is None


def test_a_password_change_changes_the_tag() -> None:
    assert password_tag(HASH) != password_tag(hash_password("s3cret pass"))


def _request(method: str, headers: dict[str, str] | None = None, cookie: str | None = None):
    """A request with an optional CSRF header and cookie."""
    all_headers = dict(headers or {})
    if cookie is not None:
        all_headers["Cookie"] = f"ivr_csrf={cookie}"
    return make_mocked_request(method, "/api/x", headers=all_headers)


def test_csrf_needs_the_session_token_on_unsafe_methods_only() -> None:
    session = Session(1, "good", 10.0, "t")
    assert csrf_ok(_request("GET"), session)
    assert not csrf_ok(_request("POST"), session)
    assert not csrf_ok(_request("POST", {"X-CSRF-Token": "bad"}), session)
    assert csrf_ok(_request("DELETE", {"X-CSRF-Token": "good"}), session)
    # Before login: the double-submitted cookie, and never an empty one.
    assert csrf_ok(_request("POST", {"X-CSRF-Token": "pre"}, cookie="pre"), None)
    assert not csrf_ok(_request("POST", {"X-CSRF-Token": ""}, cookie=""), None)
    assert not csrf_ok(_request("POST", {"X-CSRF-Token": "pre"}), None)


def test_the_login_limiter_blocks_after_failures_within_the_window() -> None:
    limiter = LoginLimiter(max_failures=3, window_s=60)
    for t in (0.0, 1.0, 2.0):
        assert limiter.allowed("1.2.3.4", t)
        limiter.failed("1.2.3.4", t)
    assert not limiter.allowed("1.2.3.4", 3.0)
    assert limiter.allowed("5.6.7.8", 3.0)
    assert limiter.allowed("1.2.3.4", 60.5)  # the first failure left the window
    limiter.succeeded("1.2.3.4")
    assert limiter.allowed("1.2.3.4", 3.0)


def test_the_limiter_forgets_the_oldest_address_when_full() -> None:
    limiter = LoginLimiter(max_failures=1, window_s=60, max_addresses=2)
    for address in ("a", "b", "c"):
        limiter.failed(address, 0.0)
    assert limiter.allowed("a", 1.0) and not limiter.allowed("c", 1.0)
