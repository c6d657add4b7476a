"""Admin view: review knowledge-base drafts proposed by agents, edit them, publish or reject them.

Publishing calls deps.on_knowledge_published() so the service reloads the bot's knowledge base and
the entry answers callers from the next call on. Every change needs the admin role and the CSRF header
(the app's middleware checks it for every non-GET request).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from aiohttp import web

from ivr.storage.knowledge_store import KnowledgeError, KnowledgeNotFound, KnowledgeStore
from ivr.web.app import read_json, serve_page
from ivr.web.auth import json_error, require_role
from ivr.web.deps import DEPS

log = logging.getLogger(__name__)

KNOWLEDGE = web.AppKey("knowledge_store", KnowledgeStore)
EDIT_FIELDS = ("language", "questions", "answer", "keywords")


def add_routes(app: web.Application) -> None:
    """Mount the admin page and the knowledge APIs."""
    app.router.add_get("/admin", page)
    app.router.add_get("/api/admin/knowledge", list_entries)
    app.router.add_get("/api/admin/knowledge/{id:\\d+}", get_entry)
    app.router.add_post("/api/admin/knowledge/{id:\\d+}", edit_entry)
    app.router.add_post("/api/admin/knowledge/{id:\\d+}/publish", publish_entry)
    app.router.add_post("/api/admin/knowledge/{id:\\d+}/reject", reject_entry)
    app.on_startup.append(_open_store)


async def _open_store(app: web.Application) -> None:
    """The knowledge store shares the CallStore's database."""
    app[KNOWLEDGE] = KnowledgeStore(app[DEPS].store.session_factory)


def _store(request: web.Request) -> KnowledgeStore:
    """This app's knowledge store."""
    return request.app[KNOWLEDGE]


def _entry_id(request: web.Request) -> int:
    """The {id} of the path (the route only matches digits)."""
    return int(request.match_info["id"])


def _refused(exc: KnowledgeError) -> web.HTTPException:
    """404 for an unknown entry, 409 for a status that forbids the change, 400 for bad values."""
    if isinstance(exc, KnowledgeNotFound):
        return json_error(404, str(exc))
    if "cannot be" in str(exc):
        return json_error(409, str(exc))
    return json_error(400, str(exc))


@require_role("admin")
async def page(request: web.Request) -> web.StreamResponse:
    """The admin page."""
    return serve_page("admin.html")


@require_role("admin")
async def list_entries(request: web.Request) -> web.StreamResponse:
    """Entries of ?status=draft|published|rejected (default draft)."""
    try:
        items = await _store(request).list(request.query.get("status", "draft"))
    except KnowledgeError as exc:
        raise _refused(exc) from None
    return web.json_response({"entries": [item.as_dict() for item in items]})


@require_role("admin")
async def get_entry(request: web.Request) -> web.StreamResponse:
    """One entry."""
    item = await _store(request).get(_entry_id(request))
    if item is None:
        raise json_error(404, "no such knowledge entry")
    return web.json_response(item.as_dict())


@require_role("admin")
async def edit_entry(request: web.Request) -> web.StreamResponse:
    """POST {language?, questions?, answer?, keywords?}: change a draft or a published entry."""
    body = await read_json(request)
    unknown = sorted(set(body) - set(EDIT_FIELDS))
    if unknown:
        raise json_error(400, f"unknown fields: {', '.join(unknown)}")
    try:
        item = await _store(request).edit(_entry_id(request), now=datetime.now(UTC), **body)
    except KnowledgeError as exc:
        raise _refused(exc) from None
    if item.status == "published":
        await _published(request.app)
    return web.json_response(item.as_dict())


@require_role("admin")
async def publish_entry(request: web.Request) -> web.StreamResponse:
    """Publish a draft; the bot uses it from the next call."""
    try:
        item = await _store(request).publish(_entry_id(request), now=datetime.now(UTC))
    except KnowledgeError as exc:
        raise _refused(exc) from None
    await _published(request.app)
    return web.json_response(item.as_dict())


@require_role("admin")
async def reject_entry(request: web.Request) -> web.StreamResponse:
    """Reject a draft (or withdraw a published entry)."""
    store = _store(request)
    before = await store.get(_entry_id(request))
    try:
        item = await store.reject(_entry_id(request), now=datetime.now(UTC))
    except KnowledgeError as exc:
        raise _refused(exc) from None
    if before is not None and before.status == "published":
        await _published(request.app)
    return web.json_response(item.as_dict())


async def _published(app: web.Application) -> None:
    """Tell the service the published set changed; its failure is logged, the admin's change stands."""
    hook = app[DEPS].on_knowledge_published
    if hook is None:
        return
    try:
        await hook()
    except Exception:
        log.exception("admin: reloading the knowledge base failed")
