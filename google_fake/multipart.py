"""MIME multipart helpers: multipart/related uploads and multipart/mixed batches.

Part payloads are sliced out of the raw bytes (binary-safe); part headers,
which googleapiclient may fold, are parsed with the `email` package."""

from __future__ import annotations

import email.parser
import email.policy
import json

from .util import ApiError


def _boundary(content_type: str) -> str:
    msg = email.message_from_string(f"Content-Type: {content_type}\n\n", policy=email.policy.default)
    boundary = msg.get_param("boundary")
    if not boundary:
        raise ValueError(f"no multipart boundary in content-type {content_type!r}")
    return str(boundary)


def _headers(raw: bytes) -> dict:
    msg = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw + b"\n\n")
    return {k.lower(): " ".join(str(v).split()) for k, v in msg.items()}


def _split_head(seg: bytes) -> tuple[bytes, bytes]:
    candidates = [(i, n) for i, n in ((seg.find(b"\r\n\r\n"), 4), (seg.find(b"\n\n"), 2)) if i >= 0]
    if not candidates:
        return seg, b""
    i, n = min(candidates)
    return seg[:i], seg[i + n :]


def split(body: bytes, content_type: str) -> list[tuple[dict, bytes]]:
    delim = b"--" + _boundary(content_type).encode()
    segments = body.split(delim)
    if len(segments) < 2:
        raise ValueError("malformed multipart body")
    parts = []
    for seg in segments[1:]:
        if seg.startswith(b"--"):
            break
        if seg.startswith(b"\r\n"):
            seg = seg[2:]
        elif seg.startswith(b"\n"):
            seg = seg[1:]
        if seg.endswith(b"\r\n"):
            seg = seg[:-2]
        elif seg.endswith(b"\n"):
            seg = seg[:-1]
        head, payload = _split_head(seg)
        parts.append((_headers(head), payload))
    return parts


def parse_related(body: bytes, content_type: str):
    """multipart/related upload -> (metadata dict, media bytes, media type)."""
    try:
        parts = split(body, content_type)
    except ValueError as exc:
        raise ApiError(400, f"Invalid multipart request: {exc}", reason="badContent")
    if len(parts) != 2:
        raise ApiError(
            400,
            "Invalid multipart request with 0 mime parts."
            if not parts
            else "Multipart upload needs metadata and media parts",
            reason="badContent",
        )
    (h1, meta_raw), (h2, media) = parts
    try:
        meta = json.loads(meta_raw.decode("utf-8")) if meta_raw.strip() else {}
    except ValueError:
        raise ApiError(400, "Invalid JSON payload received. Unexpected token.")
    if h2.get("content-transfer-encoding", "").lower() == "base64":
        import base64

        media = base64.b64decode(media)
    media_type = h2.get("content-type", "application/octet-stream").split(";")[0].strip()
    return meta, media, media_type


def parse_http_request(payload: bytes):
    """An application/http batch part -> (method, path, headers, body)."""
    line, _, rest = payload.partition(b"\n")
    bits = line.decode("latin-1").strip().split(" ")
    if len(bits) < 2:
        raise ApiError(400, "Invalid batch request line")
    head, body = _split_head(rest)
    return bits[0].upper(), bits[1], _headers(head), body.rstrip(b"\r\n") if body else b""


def build_batch_response(boundary: str, responses) -> bytes:
    out = []
    for cid, status, reason, headers, content in responses:
        if cid.startswith("<") and cid.endswith(">"):
            cid = "<response-" + cid[1:]
        out.append(f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {cid}\r\n\r\n".encode())
        out.append(f"HTTP/1.1 {status} {reason}\r\n".encode())
        for k, v in headers.items():
            if k != "content-length":
                out.append(f"{k}: {v}\r\n".encode())
        out.append(f"Content-Length: {len(content)}\r\n\r\n".encode())
        out.append(content + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out)
