"""The proxy's HTTP/1.1 client against an upstream that frames its answers every way HTTP
allows: chunked, ended by closing the connection, after an interim 100, and one that closes its
idle keep-alive connections. The caller gets each answer whole, with its length."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from proxy_support import new_key, proxy_to

ANSWERS = {
    "/chunked": b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
    b'transfer-encoding: chunked\r\n\r\n5;x=1\r\n{"a":\r\n3\r\n 1}\r\n0\r\nx-trailer: t\r\n\r\n',
    "/until-close": b'HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{"b": 2}',
    "/interim": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 8\r\n"
    b'content-type: application/json\r\n\r\n{"c": 3}',
    "/empty": b"HTTP/1.1 204 No Content\r\nx-n: 1\r\n\r\n",
    "/then-close": b'HTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n{"d": 4}',
}


@contextmanager
def framing_upstream(
    tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
) -> Iterator[tuple[str, list[bytes]]]:
    """A raw HTTP server answering ANSWERS by path; it closes the connection after
    `/until-close` (as it must) and after `/then-close` (an idle keep-alive connection the
    upstream drops). Yields its URL and the requests' bytes as they came."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.1)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        buffer = b""
        if tls is not None:
            try:
                conn = tls.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError):
                conn.close()  # a client that does not trust us
                return
        with conn:
            while not stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                seen.append(head + b"\r\n\r\n" + buffer[:length])
                buffer = buffer[length:]
                path = head.split(b" ")[1].decode()
                conn.sendall(ANSWERS[path.split("?")[0]])
                if path in ("/until-close", "/then-close"):
                    return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://{host}:{sock.getsockname()[1]}", seen
    finally:
        stop.set()
        thread.join(2)
        sock.close()


def test_every_framing_reaches_the_caller_whole() -> None:
    headers = {"Authorization": f"ApiKey {new_key()}"}
    with (
        framing_upstream() as (url, seen),
        proxy_to(url) as (proxy, _),
        httpx.Client(base_url=proxy.url, headers=headers) as http,
    ):
        chunked = http.get("/chunked")
        assert (chunked.status_code, chunked.json()) == (200, {"a": 1})
        assert chunked.headers["content-length"] == str(len(b'{"a": 1}'))
        assert "transfer-encoding" not in chunked.headers
        ended = http.get("/until-close")
        assert (ended.status_code, ended.json()) == (200, {"b": 2})
        interim = http.post("/interim", json={"x": 1})
        assert (interim.status_code, interim.json()) == (201, {"c": 3})
        empty = http.delete("/empty")
        assert (empty.status_code, empty.content, empty.headers["x-n"]) == (204, b"", "1")
        for _ in range(3):  # the upstream drops each connection after answering
            answer = http.get("/then-close")
            assert (answer.status_code, answer.json()) == (200, {"d": 4})
            time.sleep(0.05)
    requests = [r.split(b"\r\n") for r in seen]
    # Host is the upstream's; a POST carries its length, a bodiless GET none.
    assert requests[0][1] == f"host: {url.removeprefix('http://')}".encode()
    assert b"content-length: 7" in requests[2] and requests[2][-1] == b'{"x":1}'
    assert not any(line.startswith(b"content-length") for line in requests[0])
    assert len(seen) == 7


def _self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for `localhost` and its key, as PEM files."""
    pytest.importorskip("cryptography")  # installed with the dev extras (moto needs it)
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_an_https_upstream_is_verified(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """api.novu.co is HTTPS: the certificate is checked against the trust store (here one
    holding the test's own certificate, through SSL_CERT_FILE as httpx reads it)."""
    cert_file, key_file = _self_signed(tmp_path)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    headers = {"Authorization": f"ApiKey {new_key()}"}
    with framing_upstream(server, host="localhost") as (url, _):
        with proxy_to(url) as (proxy, _):  # the default trust store: ours is not in it
            refused = httpx.get(f"{proxy.url}/chunked", headers=headers)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        with proxy_to(url) as (proxy, _):
            trusted = httpx.get(f"{proxy.url}/chunked", headers=headers)
    assert refused.status_code == 502
    assert "could not be reached" in refused.json()["message"]
    assert "CERTIFICATE_VERIFY_FAILED" in refused.json()["message"]
    assert (trusted.status_code, trusted.json()) == (200, {"a": 1})
