"""A real MCP client (the `mcp` package from PyPI) against `socagent mcp`, for MCPServerTests.

Usage: mcp_client.py stdio BINARY ARG...      (starts `BINARY ARG...` and talks to it over stdio)
       mcp_client.py http URL TOKEN           (Streamable HTTP; TOKEN is sent as a bearer token)
       mcp_client.py raw BINARY ARG...        (raw JSON-RPC lines, malformed ones included, over stdio)

Prints one JSON object: what the server answered. The Swift test compares it with the CLI's answers.
"""

import asyncio
import json
import subprocess
import sys

import jsonschema
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import MCPError


async def protocol_error(call):
    """The JSON-RPC error code a call is refused with, or None when it succeeds."""
    try:
        await call
    except MCPError as error:
        return error.error.code if getattr(error, "error", None) is not None else -1
    return None


async def exercise(session):
    seen = {}
    initialized = await session.initialize()
    seen["server"] = initialized.server_info.name
    seen["protocol_version"] = initialized.protocol_version
    listed = await session.list_tools()
    seen["tools"] = []
    for tool in listed.tools:
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)
        annotations = tool.annotations.model_dump(by_alias=True, exclude_none=True) if tool.annotations else {}
        seen["tools"].append(
            {"name": tool.name, "description": tool.description, "schema": tool.input_schema, "annotations": annotations}
        )

    brute = await session.call_tool("detect_brute_force", {})
    seen["detect_brute_force"] = {
        "structured": brute.structured_content,
        "text": brute.content[0].text,
        "is_error": brute.is_error,
    }
    events = await session.call_tool("query_events", {"lucene": "event.outcome:failure", "limit": 200})
    seen["query_events"] = {"structured": events.structured_content, "is_error": events.is_error}
    windowed = await session.call_tool(
        "query_failed_logins", {"since": "2025-12-10T09:00:00Z", "until": "2025-12-10T09:30:00Z", "limit": 200}
    )
    seen["query_failed_logins_window"] = windowed.structured_content

    seen["errors"] = {
        "unknown_tool": await protocol_error(session.call_tool("no_such_tool", {})),
        "wrong_type": await protocol_error(session.call_tool("detect_brute_force", {"limit": "many"})),
        "unknown_argument": await protocol_error(session.call_tool("query_events", {"lucene": "*", "bogus": 1})),
        "bad_lucene": await protocol_error(session.call_tool("query_events", {"lucene": "a AND (b"})),
        "bad_since": await protocol_error(session.call_tool("query_failed_logins", {"since": "yesterday-ish"})),
        "outside_folders": await protocol_error(session.call_tool("parse_log_file", {"path": "/etc/passwd"})),
        "missing_resource": await protocol_error(session.read_resource("socagent://reports/INC-20000101-000000")),
        "unknown_prompt": await protocol_error(session.get_prompt("no_such_prompt")),
    }

    triaged = await session.call_tool(
        "triage_alert",
        {"alert": "Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2"},
    )
    report_id = (triaged.structured_content or {}).get("untrusted_data", {}).get("report_id")
    seen["triage_alert"] = {"report_id": report_id, "is_error": triaged.is_error, "text": triaged.content[0].text}
    resources = await session.list_resources()
    seen["resources"] = [str(resource.uri) for resource in resources.resources]
    templates = await session.list_resource_templates()
    seen["resource_templates"] = [template.uri_template for template in templates.resource_templates]
    if report_id:
        read = await session.read_resource(f"socagent://reports/{report_id}")
        seen["report"] = json.loads(read.contents[0].text)
    statistics = await session.read_resource("socagent://store/statistics")
    seen["statistics"] = json.loads(statistics.contents[0].text)

    prompts = await session.list_prompts()
    seen["prompts"] = [prompt.name for prompt in prompts.prompts]
    prompt = await session.get_prompt("hunt_host", {"host": "LabSZ"})
    seen["hunt_prompt"] = prompt.messages[0].content.text

    names = [tool["name"] for tool in seen["tools"]]
    if "list_incidents" in names:
        listed = await session.call_tool("list_incidents", {"limit": 100})
        incidents = (listed.structured_content or {}).get("untrusted_data", {}).get("incidents", [])
        seen["incidents"] = [incident["id"] for incident in incidents]
        if incidents:
            one = await session.call_tool("get_incident", {"id": incidents[0]["id"]})
            seen["incident"] = (one.structured_content or {}).get("untrusted_data", {}).get("incident", {}).get("id")

    # Still serving after every refusal.
    await session.send_ping()
    seen["tools_after_errors"] = len((await session.list_tools()).tools)
    return seen


async def over_stdio(command):
    parameters = StdioServerParameters(command=command[0], args=command[1:])
    async with stdio_client(parameters) as (read, write):
        async with ClientSession(read, write) as session:
            return await exercise(session)


async def over_http(url, token):
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    async with create_mcp_http_client(headers={"Authorization": f"Bearer {token}"}) as http:
        async with streamable_http_client(url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                return await exercise(session)


def raw(command):
    """Malformed lines straight onto the server's standard input; every one answered, the server still up."""
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)

    def send(line):
        process.stdin.write(line if isinstance(line, bytes) else line.encode())
        process.stdin.write(b"\n")
        process.stdin.flush()

    def answer():
        return json.loads(process.stdout.readline())

    seen = {}
    for name, line in [
        ("garbage", "this is not json {"),
        ("truncated", '{"jsonrpc":"2.0","id":1,"method":"tools/list"'),
        ("not_rpc", '{"hello":"world"}'),
        ("scalar", "42"),
        ("huge", b'{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{"pad":"' + b"x" * (3 << 20) + b'"}}'),
        ("unknown_method", '{"jsonrpc":"2.0","id":3,"method":"no/such/method"}'),
        ("bad_params", '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":7}}'),
    ]:
        send(line)
        reply = answer()
        seen[name] = {"id": reply.get("id"), "code": (reply.get("error") or {}).get("code")}
    send(
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": 10,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "raw", "version": "1"},
                },
            }
        )
    )
    seen["initialize"] = answer().get("result", {}).get("serverInfo", {}).get("name")
    send('{"jsonrpc":"2.0","method":"notifications/initialized"}')
    send('{"jsonrpc":"2.0","id":11,"method":"tools/list"}')
    seen["tools_after_garbage"] = len(answer().get("result", {}).get("tools", []))
    process.stdin.close()
    seen["exit_status"] = process.wait(timeout=60)
    return seen


def main():
    mode = sys.argv[1]
    if mode == "stdio":
        seen = asyncio.run(over_stdio(sys.argv[2:]))
    elif mode == "http":
        seen = asyncio.run(over_http(sys.argv[2], sys.argv[3]))
    elif mode == "raw":
        seen = raw(sys.argv[2:])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(seen))


if __name__ == "__main__":
    main()
