"""FakeAmiServer's ModuleCheck and ShowDialPlan, byte for byte as Asterisk 20 writes them.

The expected bytes follow manager.c (manager_modulecheck: `Response: Success`, the ActionID and an empty
`Version:`; astman_send_error for a module that is not loaded) and pbx.c (manager_show_dialplan: the
list ack, one `ListDialplan` per priority with `ExtensionLabel` when there is one, one per include,
then `ShowDialPlanComplete` with the counters; `Did not find context <name>` for an unknown context).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from ivr.ami.codec import encode_action
from ivr.fakepbx.ami import BANNER, FakeAmiServer


async def exchange(server: FakeAmiServer, *actions: tuple[str, dict[str, str]], until: bytes) -> bytes:
    """Log in over a raw socket, send the actions, return every byte after the login up to `until`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        assert await reader.readexactly(len(BANNER)) == BANNER
        writer.write(encode_action("Login", {"Username": "ivr", "Secret": "s3cret", "Events": "off"}))
        await asyncio.wait_for(reader.readuntil(b"Authentication accepted\r\n\r\n"), 10)
        for action, headers in actions:
            writer.write(encode_action(action, headers))
        return await asyncio.wait_for(reader.readuntil(until), 10)
    finally:
        writer.close()
        await writer.wait_closed()


async def test_module_check_replies(ami_server: FakeAmiServer) -> None:
    ami_server.modules.discard("func_dialplan")
    data = await exchange(
        ami_server,
        ("ModuleCheck", {"Module": "res_agi", "ActionID": "1"}),
        ("ModuleCheck", {"Module": "app_queue.so", "ActionID": "2"}),
        ("ModuleCheck", {"Module": "func_dialplan", "ActionID": "3"}),
        until=b"Message: Module not loaded\r\n\r\n",
    )
    assert data == (
        b"Response: Success\r\nActionID: 1\r\nVersion: \r\n\r\n"
        b"Response: Success\r\nActionID: 2\r\nVersion: \r\n\r\n"
        b"Response: Error\r\nActionID: 3\r\nMessage: Module not loaded\r\n\r\n"
    )


async def test_show_dialplan_of_one_context_and_of_an_unknown_one(
    ami_server: FakeAmiServer, tmp_path: Path
) -> None:
    (tmp_path / "extensions.conf").write_text(
        "[general]\nstatic = yes\n\n"
        "[from-trunk] ; calls arrive here\n"
        "exten => 100,1,Goto(ivr-hotline,s,1)\n"
        "include => outbound\n"
        '#tryinclude "absent.conf"\n'
        '#include "more.conf"\n'
    )
    (tmp_path / "more.conf").write_text(
        "[ivr-hotline]\nexten => s,1,Answer()\n same => n(bot),AGI(agi://h/x,a)\n"
    )
    ami_server.load_dialplan(tmp_path)
    data = await exchange(
        ami_server,
        ("ShowDialPlan", {"Context": "nope", "ActionID": "a"}),
        ("ShowDialPlan", {"Context": "ivr-hotline", "ActionID": "b"}),
        ("ShowDialPlan", {"ActionID": "c"}),
        until=b"ListContexts: 2\r\n\r\n",
    )
    assert data == (
        b"Response: Error\r\nActionID: a\r\nMessage: Did not find context nope\r\n\r\n"
        b"Response: Success\r\nActionID: b\r\nEventList: start\r\nMessage: DialPlan list will follow\r\n\r\n"
        b"Event: ListDialplan\r\nActionID: b\r\nContext: ivr-hotline\r\nExtension: s\r\nPriority: 1\r\n"
        b"Application: Answer\r\nAppData: \r\nRegistrar: pbx_config\r\n\r\n"
        b"Event: ListDialplan\r\nActionID: b\r\nContext: ivr-hotline\r\nExtension: s\r\n"
        b"ExtensionLabel: bot\r\n"
        b"Priority: 2\r\nApplication: AGI\r\nAppData: agi://h/x,a\r\nRegistrar: pbx_config\r\n\r\n"
        b"Event: ShowDialPlanComplete\r\nActionID: b\r\nEventList: Complete\r\nListItems: 2\r\n"
        b"ListExtensions: 1\r\nListPriorities: 2\r\nListContexts: 1\r\n\r\n"
        b"Response: Success\r\nActionID: c\r\nEventList: start\r\nMessage: DialPlan list will follow\r\n\r\n"
        b"Event: ListDialplan\r\nActionID: c\r\nContext: from-trunk\r\nExtension: 100\r\nPriority: 1\r\n"
        b"Application: Goto\r\nAppData: ivr-hotline,s,1\r\nRegistrar: pbx_config\r\n\r\n"
        b"Event: ListDialplan\r\nActionID: c\r\nContext: from-trunk\r\nIncludeContext: outbound\r\n"
        b"Registrar: pbx_config\r\n\r\n"
        b"Event: ListDialplan\r\nActionID: c\r\nContext: ivr-hotline\r\nExtension: s\r\nPriority: 1\r\n"
        b"Application: Answer\r\nAppData: \r\nRegistrar: pbx_config\r\n\r\n"
        b"Event: ListDialplan\r\nActionID: c\r\nContext: ivr-hotline\r\nExtension: s\r\n"
        b"ExtensionLabel: bot\r\n"
        b"Priority: 2\r\nApplication: AGI\r\nAppData: agi://h/x,a\r\nRegistrar: pbx_config\r\n\r\n"
        b"Event: ShowDialPlanComplete\r\nActionID: c\r\nEventList: Complete\r\nListItems: 4\r\n"
        b"ListExtensions: 2\r\nListPriorities: 3\r\nListContexts: 2\r\n\r\n"
    )
