"""Admin knowledge review over HTTP: drafts listed, edited, published (hook called, bot sees it), rejected."""

from __future__ import annotations

from datetime import UTC, datetime

from ivr.dialogue.knowledge import KnowledgeEntry
from ivr.storage.knowledge_store import KnowledgeStore
from tests.integration.web_core.conftest import csrf_of, post
from tests.integration.web_supervision.conftest import Site

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def draft(site: Site, question: str = "How do I reset my router?") -> int:
    """A draft proposed by an agent from a resolved call."""
    return await site.desk.add_knowledge_draft(
        language="en", question=question, answer="Hold the reset button for 10 seconds.", now=NOW,
        source_call_uuid="call-1", keywords=["router"],
    )  # fmt: skip


async def test_only_admins_review_knowledge(site: Site) -> None:
    entry = await draft(site)
    for who, status in ((None, 401), ("ann", 403), ("sue", 403)):
        client = await site.client_as(who)
        assert (await client.get("/api/admin/knowledge")).status == status
        if who is not None:
            code, _ = await post(client, f"/api/admin/knowledge/{entry}/publish", {})
            assert code == 403
    assert (await (await site.client_as("ann")).get("/admin")).status == 403


async def test_edit_then_publish_reaches_the_bot(site: Site) -> None:
    entry = await draft(site)
    client = await site.client_as("adam")
    listed = await (await client.get("/api/admin/knowledge")).json()
    assert [(e["id"], e["questions"], e["status"]) for e in listed["entries"]] == [
        (entry, ["How do I reset my router?"], "draft")
    ]
    code, edited = await post(client, f"/api/admin/knowledge/{entry}", {
        "questions": ["How do I reset my router?", "router  reset", ""],
        "answer": "  Hold the reset button for 10 seconds, then wait two minutes. ",
        "keywords": ["router", "reset"],
    })  # fmt: skip
    assert code == 200 and edited["questions"] == ["How do I reset my router?", "router reset"]
    assert edited["answer"] == "Hold the reset button for 10 seconds, then wait two minutes."
    assert site.published == []

    code, published = await post(client, f"/api/admin/knowledge/{entry}/publish", {})
    assert code == 200 and published["status"] == "published" and published["published_at"]
    assert site.published == [1]
    entries = await KnowledgeStore(site.store.session_factory).published_entries()
    assert entries == [
        KnowledgeEntry(
            id=f"db-{entry}", language="en", questions=("How do I reset my router?", "router reset"),
            answer="Hold the reset button for 10 seconds, then wait two minutes.",
            keywords=("router", "reset"),
        )
    ]  # fmt: skip
    drafts = await (await client.get("/api/admin/knowledge")).json()
    assert drafts["entries"] == []
    # Publishing twice is a conflict, not a second reload.
    code, body = await post(client, f"/api/admin/knowledge/{entry}/publish", {})
    assert code == 409 and "published" in body["error"] and site.published == [1]


async def test_reject_and_bad_requests(site: Site) -> None:
    entry = await draft(site)
    client = await site.client_as("adam")
    code, rejected = await post(client, f"/api/admin/knowledge/{entry}/reject", {})
    assert code == 200 and rejected["status"] == "rejected" and site.published == []
    assert (await post(client, f"/api/admin/knowledge/{entry}/publish", {}))[0] == 409
    assert (await post(client, f"/api/admin/knowledge/{entry}", {"answer": "x"}))[0] == 409
    assert (await post(client, "/api/admin/knowledge/999/publish", {}))[0] == 404
    other = await draft(site, "Where is my bill?")
    assert (await post(client, f"/api/admin/knowledge/{other}", {"questions": []}))[0] == 400
    assert (await post(client, f"/api/admin/knowledge/{other}", {"answer": "   "}))[0] == 400
    assert (await post(client, f"/api/admin/knowledge/{other}", {"language": "<b>"}))[0] == 400
    assert (await post(client, f"/api/admin/knowledge/{other}", {"status": "published"}))[0] == 400
    assert (await client.get("/api/admin/knowledge?status=bogus")).status == 400
    rejected_list = await (await client.get("/api/admin/knowledge?status=rejected")).json()
    assert [e["id"] for e in rejected_list["entries"]] == [entry]


async def test_publish_without_csrf_header_is_refused(site: Site) -> None:
    entry = await draft(site)
    client = await site.client_as("adam")
    assert csrf_of(client)
    response = await client.post(f"/api/admin/knowledge/{entry}/publish", json={})
    assert response.status == 403
    assert (await KnowledgeStore(site.store.session_factory).get(entry)).status == "draft"
