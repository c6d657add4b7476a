"""Property tests: garbage only ever raises AmiProtocolError; chunking never changes the result."""

import string

from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.ami.codec import AmiDecoder, AmiMessage, encode_message
from ivr.ami.errors import AmiProtocolError

# Bytes biased towards what matters to the framing: line ends, colons, blanks.
framing_bytes = st.lists(
    st.one_of(
        st.binary(max_size=40), st.sampled_from([b"\r\n", b"\n", b"\r", b":", b": ", b" ", b"\r\n\r\n"])
    ),
    max_size=60,
).map(b"".join)


def feed_chunks(decoder: AmiDecoder, data: bytes, cuts: list[int]) -> list:
    out, start = [], 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        out += decoder.feed(data[start:cut])
        start = cut
    return out


def outcome(data: bytes, cuts: list[int], expect_banner: bool) -> list | str:
    """Decoded items, or "error" if (and only if) AmiProtocolError was raised; anything else propagates."""
    try:
        return feed_chunks(AmiDecoder(expect_banner), data, cuts)
    except AmiProtocolError:
        return "error"


@settings(max_examples=300, deadline=None)
@given(data=framing_bytes, expect_banner=st.booleans(), cuts=st.lists(st.integers(0, 10_000), max_size=8))
def test_garbage_only_raises_ami_protocol_error_and_chunking_does_not_matter(
    data: bytes, expect_banner: bool, cuts: list[int]
) -> None:
    assert outcome(data, cuts, expect_banner) == outcome(data, [], expect_banner)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=300))
def test_random_bytes_only_raise_ami_protocol_error(data: bytes) -> None:
    result = outcome(data, [], expect_banner=True)
    # Whatever is not an error must be well-formed: a banner first, then messages with named headers.
    if result != "error" and result:
        assert "/" in result[0].text
        assert all(name.strip() for message in result[1:] for name, _ in message.headers)


header_names = st.text(string.ascii_letters + string.digits + "-_()", min_size=1, max_size=20)
header_values = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\0"), max_size=40
).map(lambda v: v.lstrip(" \t"))


@settings(max_examples=200, deadline=None)
@given(
    messages=st.lists(st.lists(st.tuples(header_names, header_values), min_size=1, max_size=8), max_size=5),
    cuts=st.lists(st.integers(0, 10_000), max_size=10),
)
def test_encoded_messages_decode_identically_whatever_the_chunking(
    messages: list[list[tuple[str, str]]], cuts: list[int]
) -> None:
    data = b"".join(encode_message(m) for m in messages)
    decoded = feed_chunks(AmiDecoder(expect_banner=False), data, cuts)
    assert decoded == [AmiMessage(tuple(m)) for m in messages]
