"""Password hashes, signed session cookies, CSRF checks and the login limiter, without a server."""

from __future__ import annotations

from aiohttp.test_utils import make_mocked_request
from hypothesis import given
from hypothesis import strategies as st

from ivr.web.auth import (
    Session,
    SessionCodec,
    csrf_ok,
    hash_password,
    password_tag,
    verify_password,
)
from ivr.web.login_guard import LoginGuard, Refusal, Ticket, client_address, parse_networks

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


def test_the_guard_counts_before_the_check_and_locks_the_username_with_backoff() -> None:
    guard = LoginGuard(max_per_user=3, max_per_address=100, window_s=60, lock_base_s=10, lock_cap_s=25)
    tickets = [guard.begin("sue", "1.2.3.4", 0.0) for _ in range(5)]  # concurrent: none checked yet
    assert [isinstance(t, Ticket) for t in tickets] == [True, True, True, False, False]
    assert tickets[3].retry_after == 10  # locked for the base time...
    assert isinstance(guard.begin("sue", "9.9.9.9", 5.0), Refusal)  # ...whatever the address
    assert isinstance(guard.begin("alice", "1.2.3.4", 5.0), Ticket)  # the address is not locked
    for _ in range(3):
        assert isinstance(guard.begin("sue", "1.2.3.4", 11.0), Ticket)
    second = guard.begin("sue", "1.2.3.4", 11.0)
    assert isinstance(second, Refusal) and second.retry_after == 20  # the backoff doubles
    for _ in range(3):
        guard.begin("sue", "1.2.3.4", 32.0)
    assert guard.begin("sue", "1.2.3.4", 32.0).retry_after == 25  # up to the cap


def test_a_success_resets_only_its_own_username() -> None:
    guard = LoginGuard(max_per_user=2, max_per_address=100, window_s=60)
    for _ in range(2):
        assert isinstance(guard.begin("supervisor", "10.0.0.7", 0.0), Ticket)
    mine = guard.begin("agent", "10.0.0.7", 1.0)
    guard.succeeded(mine)
    assert isinstance(guard.begin("supervisor", "10.0.0.7", 2.0), Refusal)  # still counted, now locked
    assert isinstance(guard.begin("Agent ", "10.0.0.7", 2.0), Ticket)  # names are compared normalised


def test_the_address_limit_slows_spraying_and_successes_give_their_attempt_back() -> None:
    guard = LoginGuard(max_per_user=5, max_per_address=3, window_s=60)
    tickets = [guard.begin(f"user{i}", "6.6.6.6", 0.0) for i in range(3)]
    assert isinstance(guard.begin("user9", "6.6.6.6", 1.0), Refusal)
    guard.succeeded(tickets[0])
    assert isinstance(guard.begin("user9", "6.6.6.6", 1.0), Ticket)
    assert isinstance(guard.begin("user9", "6.6.6.6", 61.0), Ticket)  # the window moved on


def test_the_guard_forgets_the_oldest_keys_when_full() -> None:
    guard = LoginGuard(max_per_user=1, max_per_address=1, window_s=60, max_keys=2)
    for name in ("a", "b", "c"):
        guard.begin(name, name, 0.0)
    assert isinstance(guard.begin("a", "a", 1.0), Ticket)  # "a" was forgotten
    assert isinstance(guard.begin("c", "x", 1.0), Refusal)


def test_x_forwarded_for_is_believed_only_from_trusted_proxies() -> None:
    proxies = parse_networks(["10.0.0.1", "192.168.0.0/16"])
    assert client_address("203.0.113.9", "1.1.1.1", proxies) == "203.0.113.9"  # not a proxy: ignored
    assert client_address("10.0.0.1", "198.51.100.4", proxies) == "198.51.100.4"
    # A client may send its own X-Forwarded-For: only the hops our proxies added count.
    assert client_address("10.0.0.1", "6.6.6.6, 198.51.100.4, 192.168.3.3", proxies) == "198.51.100.4"
    assert client_address("10.0.0.1", "garbage, 198.51.100.4", proxies) == "198.51.100.4"
    assert client_address("10.0.0.1", "", proxies) == "10.0.0.1"
    assert client_address(None, "1.1.1.1", proxies) == "?"
