"""multipart/mixed batch framing for the fake Google server (stdlib only).

Parses the body that googleapiclient.http.BatchHttpRequest sends (one
``application/http`` part per embedded request, each with a Content-ID) and
renders the answer the way Google does (one ``application/http`` part per
request, Content-ID ``<response-ID>``, CRLF line endings, which
``BatchHttpRequest._deserialize_response`` relies on).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from http import HTTPStatus


@dataclass(frozen=True)
class BatchPart:
    """One request embedded in a batch."""

    content_id: str  # the Content-ID without its angle brackets, whitespace collapsed
    method: str
    target: str  # path with query, e.g. "/calendar/v3/calendars/x/events?alt=json"
    headers: dict[str, str]  # names lower-cased
    body: bytes


def parse_batch(content_type: str, body: bytes) -> list[BatchPart]:
    """Split a multipart/mixed batch body; ValueError if it is malformed."""
    if not content_type.lower().startswith("multipart/mixed"):
        raise ValueError("batch requests must be multipart/mixed")
    head = b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n"
    msg = BytesParser().parsebytes(head + body)
    if not msg.is_multipart():
        raise ValueError("batch body has no parts")
    parts: list[BatchPart] = []
    for part in msg.get_payload():
        assert isinstance(part, Message)
        content_id = " ".join(str(part.get("Content-ID", "")).split())
        if content_id.startswith("<") and content_id.endswith(">"):
            content_id = content_id[1:-1]
        payload = part.get_payload()
        # BytesParser decoded the bytes as ascii+surrogateescape: undo it exactly.
        raw = payload.encode("ascii", "surrogateescape") if isinstance(payload, str) else b""
        parts.append(_parse_request(content_id, raw))
    return parts


def _parse_request(content_id: str, raw: bytes) -> BatchPart:
    seps = [(i, sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := raw.find(sep)) >= 0]
    if seps:
        end, sep = min(seps)
        head, body = raw[:end], raw[end + len(sep) :]
    else:
        head, body = raw, b""
    lines = head.decode("latin-1").replace("\r\n", "\n").split("\n")
    request_line = lines[0].split()
    if len(request_line) < 2:
        raise ValueError(f"bad request line in batch part: {lines[0]!r}")
    headers: dict[str, str] = {}
    last = ""
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and last:
            headers[last] += " " + line.strip()
        elif ":" in line:
            name, value = line.split(":", 1)
            last = name.strip().lower()
            headers[last] = value.strip()
    return BatchPart(content_id, request_line[0].upper(), request_line[1], headers, body)


def render_batch(
    responses: list[tuple[str, int, dict[str, str], bytes]],
) -> tuple[str, bytes]:
    """Render (content_id, status, headers, body) answers; returns (content type, body)."""
    boundary = "batch_" + secrets.token_hex(12)
    out = bytearray()
    for content_id, status, headers, body in responses:
        out += (
            f"--{boundary}\r\nContent-Type: application/http\r\n"
            f"Content-ID: <response-{content_id}>\r\n\r\n"
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        ).encode()
        # At least one header line is needed: the client splits on the first CRLFCRLF.
        all_headers = {"Content-Type": "application/json; charset=UTF-8", **headers}
        all_headers["Content-Length"] = str(len(body))
        for name, value in all_headers.items():
            out += f"{name}: {value}\r\n".encode()
        out += b"\r\n" + body + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return f"multipart/mixed; boundary={boundary}", bytes(out)
