"""SSRF guard: save-time checks, resolution, and the transport that pins vetted addresses.

A real HTTP(S) receiver runs on 127.0.0.1; DNS is faked (the outside internet is the only fake),
except that `localhost` resolves for real.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import ssl
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import anyio
import httpx
import pytest
import standardwebhooks
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from alfred_automation import (
    Outcome,
    UnsafeURLError,
    VettedTransport,
    classify,
    delivery_client,
    generate_secret,
    outbound_headers,
    resolve_and_vet,
    sign,
    validate_destination_url,
    verify,
    vet_destination_url,
)
from alfred_automation.urlguard import address_block_reason, parse_ip_literal

pytestmark = pytest.mark.anyio

# ---------------------------------------------------------------------------------------------
# Helpers: a receiver on 127.0.0.1, a self-signed certificate, a fake DNS.


@dataclass
class Received:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """Records every request; answers `status` with `response_headers`."""

    status: int = 200
    response_headers: dict[str, str] = field(default_factory=dict)
    requests: list[Received] = field(default_factory=list)
    connections: int = 0
    server_names: list[str | None] = field(default_factory=list)
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
                request_line, *lines = head.split("\r\n")
                method, target, _ = request_line.split(" ", 2)
                pairs = (line.split(":", 1) for line in lines if line)
                headers = {name.strip().lower(): value.strip() for name, value in pairs}
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(Received(method, target, headers, body))
                extra = "".join(f"{k}: {v}\r\n" for k, v in self.response_headers.items())
                status_line = f"HTTP/1.1 {self.status} Status\r\ncontent-length: 2\r\n"
                writer.write(f"{status_line}{extra}\r\nok".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection
        finally:
            writer.close()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A plain HTTP receiver on 127.0.0.1."""
    async with serving(None) as started:
        yield started


@dataclass
class TLSFiles:
    cert: Path
    key: Path


def make_certificate(directory: Path, hostname: str) -> TLSFiles:
    """Write a self-signed certificate (its own CA) for `hostname`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    files = TLSFiles(directory / f"{hostname}.crt", directory / f"{hostname}.key")
    files.cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture
async def tls_receiver(tmp_path: Path) -> AsyncIterator[tuple[Receiver, ssl.SSLContext]]:
    """An HTTPS receiver on 127.0.0.1 whose certificate names `receiver.test` only.

    Yields the receiver and a client context that trusts its certificate.
    """
    files = make_certificate(tmp_path, "receiver.test")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(files.cert, files.key)
    async with serving(server_context) as started:
        yield started, ssl.create_default_context(cafile=str(files.cert))


@asynccontextmanager
async def serving(context: ssl.SSLContext | None) -> AsyncIterator[Receiver]:
    receiver = Receiver()
    if context is not None:

        def record(_: ssl.SSLObject, name: str | None, __: ssl.SSLContext) -> None:
            receiver.server_names.append(name)

        context.sni_callback = record
    server = await asyncio.start_server(
        receiver.handle, "127.0.0.1", 0, family=socket.AF_INET, ssl=context
    )
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()


class FakeDNS:
    """Answers from a table; each call for a name takes the next answer (the last one repeats)."""

    def __init__(self, table: dict[str, list[list[str]]] | None = None) -> None:
        self.table = table or {}
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        answers = self.table.get(host)
        if not answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return answers.pop(0) if len(answers) > 1 else answers[0]


PUBLIC_V4 = "93.184.216.34"


@pytest.fixture
def public_dns() -> FakeDNS:
    return FakeDNS({"hooks.example.com": [[PUBLIC_V4]]})


def reason_of(exc: pytest.ExceptionInfo[UnsafeURLError]) -> str:
    return exc.value.reason


# ---------------------------------------------------------------------------------------------
# Save time: checklist rows 32-34 and 36.

ROW_32 = [
    ("http://127.0.0.1/", "blocked_ip"),
    ("http://localhost/", "blocked_host"),
    ("http://[::1]/", "blocked_ip"),
    ("http://0.0.0.0/", "blocked_ip"),
    ("http://169.254.169.254/", "blocked_ip"),
    ("http://metadata.google.internal/", "blocked_host"),
    ("http://10.0.0.5/", "blocked_ip"),
    ("http://172.16.0.1/", "blocked_ip"),
    ("http://192.168.1.1/", "blocked_ip"),
    ("http://100.64.0.1/", "blocked_ip"),
    ("http://198.18.0.1/", "blocked_ip"),
    ("http://[fc00::1]/", "blocked_ip"),
    ("http://[fe80::1]/", "blocked_ip"),
]
ROW_33 = [
    ("http://2130706433/", "blocked_ip"),
    ("http://0x7f000001/", "blocked_ip"),
    ("http://127.1/", "blocked_ip"),
    ("http://[::ffff:127.0.0.1]/", "blocked_ip"),
    ("http://[64:ff9b::a00:1]/", "blocked_ip"),
    ("http://[2002:7f00:1::]/", "blocked_ip"),
]
ROW_34 = [
    ("file:///etc/passwd", "scheme_not_allowed"),
    ("gopher://hooks.example.com/", "scheme_not_allowed"),
    ("ftp://hooks.example.com/", "scheme_not_allowed"),
    ("dict://hooks.example.com:11211/", "scheme_not_allowed"),
    ("https://user:pw@hooks.example.com/", "credentials_in_url"),
    ("https://hooks.example.com:22/", "port_not_allowed"),
]


@pytest.mark.parametrize(("url", "reason"), ROW_32 + ROW_33 + ROW_34)
async def test_save_is_refused_without_any_lookup_when_the_url_is_unsafe(
    url: str, reason: str, public_dns: FakeDNS
) -> None:
    with pytest.raises(UnsafeURLError) as caught:
        await vet_destination_url(url, resolver=public_dns)
    assert reason_of(caught) == reason
    assert public_dns.calls == []


@pytest.mark.parametrize("url", [u for u, _ in ROW_32 + ROW_33])
async def test_every_row_32_33_address_is_refused_at_delivery_too(url: str) -> None:
    host = httpx.URL(url).host
    with pytest.raises(UnsafeURLError) as caught:
        await resolve_and_vet(host, 80, resolver=FakeDNS())
    assert reason_of(caught) in {"blocked_ip", "blocked_host"}


@pytest.mark.parametrize("host", ["[::1]", "[::FFFF:127.0.0.1]", "LOCALHOST.", "127.0.0.1."])
async def test_hosts_are_normalized_before_vetting(host: str) -> None:
    with pytest.raises(UnsafeURLError) as caught:
        await resolve_and_vet(host, 80, resolver=FakeDNS())
    assert reason_of(caught) in {"blocked_ip", "blocked_host"}


async def test_save_is_refused_when_the_octal_form_reaches_any_parser() -> None:
    # httpx itself rejects "0177.0.0.1"; were it to accept it, the literal check refuses it.
    with pytest.raises(UnsafeURLError) as caught:
        validate_destination_url("http://0177.0.0.1/")
    assert reason_of(caught) in {"invalid_url", "blocked_ip"}
    with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.1") as at_delivery:
        await resolve_and_vet("0177.0.0.1", 80, resolver=FakeDNS())
    assert reason_of(at_delivery) == "blocked_ip"


async def test_http_is_refused_when_https_is_required(public_dns: FakeDNS) -> None:
    with pytest.raises(UnsafeURLError) as caught:
        await vet_destination_url(
            "http://hooks.example.com/", resolver=public_dns, require_https=True
        )
    assert reason_of(caught) == "https_required"
    parsed = await vet_destination_url(
        "https://hooks.example.com/", resolver=public_dns, require_https=True
    )
    assert parsed.scheme == "https"


@pytest.mark.parametrize("answer", [[PUBLIC_V4, "127.0.0.1"], ["127.0.0.1", PUBLIC_V4]])
async def test_save_is_refused_when_any_answer_is_private(answer: list[str]) -> None:
    dns = FakeDNS({"mixed.example.com": [answer]})
    with pytest.raises(UnsafeURLError, match=r"127\.0\.0\.1") as caught:
        await vet_destination_url("https://mixed.example.com/hook", resolver=dns)
    assert reason_of(caught) == "blocked_ip"


async def test_save_returns_the_parsed_url_when_every_answer_is_public() -> None:
    dns = FakeDNS({"xn--bcher-kva.example": [[PUBLIC_V4, "2606:4700::1111", PUBLIC_V4]]})
    parsed = await vet_destination_url("HTTPS://Bücher.Example.:8443/hook?x=1", resolver=dns)
    assert parsed.url == "https://xn--bcher-kva.example.:8443/hook?x=1"
    assert (parsed.scheme, parsed.host, parsed.port, parsed.ip) == (
        "https",
        "xn--bcher-kva.example",
        8443,
        None,
    )
    addresses = await resolve_and_vet("xn--bcher-kva.example", 8443, resolver=dns)
    assert addresses == [ipaddress.ip_address(PUBLIC_V4), ipaddress.ip_address("2606:4700::1111")]


async def test_a_public_literal_address_is_accepted_without_a_lookup() -> None:
    dns = FakeDNS()
    parsed = await vet_destination_url("http://[2606:4700::1111]:8080/", resolver=dns)
    assert parsed.ip == ipaddress.ip_address("2606:4700::1111")
    assert parsed.host == "2606:4700::1111"
    assert dns.calls == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("hooks.example.com/path", "scheme_not_allowed"),
        ("javascript:alert(1)", "scheme_not_allowed"),
        ("https:///path", "missing_host"),
        ("https://exa mple.com/", "invalid_url"),
        ("https://[fe80::1%25eth0]/", "invalid_url"),
        ("https://a..b.example.com/", "invalid_url"),
        ("https://hooks.example.com:0/", "port_not_allowed"),
        ("https://hooks.example.com:99999/", "port_not_allowed"),
        ("https://hooks.example.com/" + "a" * 2048, "invalid_url"),
        ("https://[::1/", "invalid_url"),
    ],
)
def test_a_malformed_url_is_refused(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURLError) as caught:
        validate_destination_url(url, allow_private=True)
    assert reason_of(caught) == reason


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST",
        "localhost.",
        "api.localhost",
        "printer.local",
        "db.internal",
        "router.home.arpa",
        "box.localdomain",
        "intranet",
    ],
)
async def test_a_local_name_is_refused_before_any_lookup(host: str) -> None:
    dns = FakeDNS({host.lower().rstrip("."): [[PUBLIC_V4]]})
    with pytest.raises(UnsafeURLError) as caught:
        await resolve_and_vet(host, 443, resolver=dns)
    assert reason_of(caught) == "blocked_host"
    assert dns.calls == []


async def test_lookup_failures_are_unresolvable() -> None:
    dns = FakeDNS({"empty.example.com": [[]], "odd.example.com": [["not-an-address"]]})
    for host in ("missing.example.com", "empty.example.com", "odd.example.com"):
        with pytest.raises(UnsafeURLError) as caught:
            await resolve_and_vet(host, 443, resolver=dns)
        assert reason_of(caught) == "unresolvable"


async def test_a_zone_in_an_answer_is_dropped_before_vetting() -> None:
    dns = FakeDNS({"zoned.example.com": [["fe80::1%eth0"]]})
    with pytest.raises(UnsafeURLError, match=r"fe80::1 \(link_local\)"):
        await resolve_and_vet("zoned.example.com", 443, resolver=dns)


# ---------------------------------------------------------------------------------------------
# allow_private and the port policy.


async def test_allow_private_lifts_address_name_and_port_checks() -> None:
    for url in ("http://127.0.0.1:5000/hook", "http://[::1]:3000/", "http://10.0.0.5:1/"):
        parsed = validate_destination_url(url, allow_private=True)
        assert parsed.ip is not None
    assert validate_destination_url("http://receiver:4200/", allow_private=True).host == "receiver"
    loopback = await resolve_and_vet("localhost", 80, allow_private=True)  # a real lookup
    assert loopback
    assert all(address.is_loopback for address in loopback)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "scheme_not_allowed"),
        ("http://user:pw@127.0.0.1/", "credentials_in_url"),
        ("http://169.254.169.254/latest/meta-data/", "blocked_ip"),
        ("http://[::ffff:169.254.169.254]/", "blocked_ip"),
        ("http://[fd00:ec2::254]/", "blocked_ip"),
        ("http://metadata.google.internal/", "blocked_host"),
        ("http://metadata/", "blocked_host"),
    ],
)
def test_allow_private_keeps_scheme_credential_and_metadata_checks(url: str, reason: str) -> None:
    with pytest.raises(UnsafeURLError) as caught:
        validate_destination_url(url, allow_private=True)
    assert reason_of(caught) == reason


def test_only_the_allowed_ports_pass_unless_private_urls_are_allowed() -> None:
    for port in (80, 443, 8080, 8443):
        assert validate_destination_url(f"http://hooks.example.com:{port}/").port == port
    assert validate_destination_url("https://hooks.example.com/").port == 443
    for port in (22, 25, 6379, 5432, 9200):
        with pytest.raises(UnsafeURLError, match=str(port)):
            validate_destination_url(f"http://hooks.example.com:{port}/")
        assert validate_destination_url(f"http://h.example.com:{port}/", allow_private=True)
    custom = validate_destination_url("https://hooks.example.com:9443/", allowed_ports={9443})
    assert custom.port == 9443


# ---------------------------------------------------------------------------------------------
# The address policy.


@pytest.mark.parametrize(
    ("address", "category"),
    [
        ("0.0.0.0", "unspecified"),
        ("127.0.0.1", "loopback"),
        ("127.255.255.254", "loopback"),
        ("10.0.0.5", "private"),
        ("172.31.255.255", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "cgnat"),
        ("169.254.1.1", "link_local"),
        ("169.254.169.254", "metadata"),
        ("169.254.170.2", "metadata"),
        ("100.100.100.200", "metadata"),
        ("198.18.0.1", "benchmarking"),
        ("198.19.255.255", "benchmarking"),
        ("192.0.2.1", "documentation"),
        ("198.51.100.1", "documentation"),
        ("203.0.113.1", "documentation"),
        ("192.0.0.8", "reserved"),
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "ipv4_mapped"),
        ("::ffff:93.184.216.34", "ipv4_mapped"),
        ("::127.0.0.1", "ipv4_compatible"),
        ("64:ff9b::a00:1", "nat64_private"),
        ("64:ff9b::7f00:1", "nat64_loopback"),
        ("64:ff9b::a9fe:a9fe", "metadata"),
        ("64:ff9b:1::1", "private"),
        ("2002:7f00:1::", "6to4_loopback"),
        ("2002:a00:1::", "6to4_private"),
        ("2001::1", "teredo"),
        ("2001:2::1", "reserved"),
        ("2001:db8::1", "documentation"),
        ("3fff::1", "documentation"),
        ("100::1", "reserved"),
        ("fc00::1", "unique_local"),
        ("fd00:ec2::254", "metadata"),
        ("fd12:3456::1", "unique_local"),
        ("fe80::1", "link_local"),
        ("fec0::1", "site_local"),
        ("ff02::1", "multicast"),
        ("ff0e::1", "multicast"),
        ("4000::1", "reserved"),
    ],
)
def test_refused_addresses_name_their_category(address: str, category: str) -> None:
    assert address_block_reason(ipaddress.ip_address(address)) == category


@pytest.mark.parametrize(
    "address",
    [
        PUBLIC_V4,
        "8.8.8.8",
        "1.1.1.1",
        "172.32.0.1",
        "100.128.0.1",
        "2606:4700::1111",
        "2a00:1450:4001:80e::200e",
        "64:ff9b::808:808",  # NAT64 of 8.8.8.8
        "2002:5db8:d822::1",  # 6to4 of 93.184.216.34
    ],
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert address_block_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "::1", "fc00::1", "fe80::1"])
def test_allow_private_allows_every_address_but_metadata(address: str) -> None:
    assert address_block_reason(ipaddress.ip_address(address), allow_private=True) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.0000.0.01", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("0.0", "0.0.0.0"),
        ("10.0x10.0200", "10.16.0.128"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("[64:ff9b::a00:1]", "64:ff9b::a00:1"),
        ("4294967295", "255.255.255.255"),
    ],
)
def test_literal_addresses_are_read_in_every_encoding(text: str, expected: str) -> None:
    assert parse_ip_literal(text) == ipaddress.ip_address(expected)


@pytest.mark.parametrize(
    "text",
    [
        "example.com",
        "4294967296",
        "256.0.0.1",
        "1.2.3.4.5",
        "1.2.3.256",
        "1.256.1",
        "08",
        "0x",
        "1..2",
        "",
        "1.2.3.4.",
        "fe80::1%eth0",
        "[not::an::ip]",
        "0x1g",
    ],
)
def test_non_literals_are_left_to_the_resolver(text: str) -> None:
    assert parse_ip_literal(text) is None


@pytest.mark.skipif(sys.platform != "linux", reason="compares with glibc's inet_aton")
@pytest.mark.parametrize(
    "text",
    ["127.1", "0177.1", "0x7f.0x1", "1.2.3", "1.0xffff", "08.1", "0x", "1.2.3.4.5", "99999999999"],
)
def test_ipv4_literals_match_the_operating_system(text: str) -> None:
    try:
        expected: ipaddress.IPv4Address | None = ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        expected = None
    assert parse_ip_literal(text) == expected


# ---------------------------------------------------------------------------------------------
# The delivery transport.


class SpyTransport(httpx.AsyncBaseTransport):
    """Stands in for the network: records what would have been sent, opens no socket."""

    def __init__(self, log: list[httpx.Request]) -> None:
        self.log = log
        self.closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.log.append(request)
        return httpx.Response(204)

    async def aclose(self) -> None:
        self.closed = True


@dataclass
class Spies:
    sent: list[httpx.Request] = field(default_factory=list)
    made: list[SpyTransport] = field(default_factory=list)

    def factory(self) -> SpyTransport:
        self.made.append(SpyTransport(self.sent))
        return self.made[-1]


async def test_delivery_is_blocked_when_dns_rebinds_after_save() -> None:
    # Checklist row 35: public at creation, 10.0.0.5 at delivery.
    dns = FakeDNS({"hooks.example.com": [[PUBLIC_V4], ["10.0.0.5"]]})
    parsed = await vet_destination_url("https://hooks.example.com/hook", resolver=dns)
    spies = Spies()
    transport = VettedTransport(resolver=dns, transport_factory=spies.factory)
    async with delivery_client(transport, timeout_seconds=5) as client:
        with pytest.raises(UnsafeURLError, match=r"10\.0\.0\.5") as caught:
            await client.post(parsed.url, content=b"{}")
    assert reason_of(caught) == "blocked_ip"
    assert classify(None, caught.value) is Outcome.RETRY
    assert dns.calls == ["hooks.example.com", "hooks.example.com"]
    assert spies.sent == []
    assert spies.made == []  # not even a pool for the origin


async def test_the_request_goes_to_the_vetted_address_with_the_original_host() -> None:
    dns = FakeDNS({"hooks.example.com": [["2606:4700::1111", PUBLIC_V4]]})
    spies = Spies()
    async with delivery_client(
        VettedTransport(resolver=dns, transport_factory=spies.factory), timeout_seconds=5
    ) as client:
        response = await client.post("https://hooks.example.com:8443/in?a=1", content=b"{}")
    assert response.status_code == 204
    assert str(response.request.url) == "https://hooks.example.com:8443/in?a=1"
    (sent,) = spies.sent
    assert str(sent.url) == "https://[2606:4700::1111]:8443/in?a=1"
    assert sent.headers["host"] == "hooks.example.com:8443"
    assert sent.extensions["sni_hostname"] == "hooks.example.com"
    assert "timeout" in sent.extensions
    assert sent.content == b"{}"


async def test_each_origin_gets_its_own_pool_and_aclose_closes_them() -> None:
    dns = FakeDNS({"a.example.com": [[PUBLIC_V4]], "b.example.com": [[PUBLIC_V4]]})
    spies = Spies()
    transport = VettedTransport(resolver=dns, transport_factory=spies.factory)
    async with httpx.AsyncClient(transport=transport) as client:
        for url in ("https://a.example.com/", "https://a.example.com/x", "https://b.example.com/"):
            await client.get(url)
        await client.get("http://a.example.com/")
    assert len(spies.made) == 3  # https a, https b, http a: TLS is never shared across names
    assert all(spy.closed for spy in spies.made)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.com/", "scheme_not_allowed"),
        ("http://user:pw@hooks.example.com/", "credentials_in_url"),
        ("http://localhost/", "blocked_host"),
        ("http://2130706433/", "blocked_ip"),
        ("http:///no-host", "missing_host"),
    ],
)
async def test_the_transport_refuses_what_the_save_would(url: str, reason: str) -> None:
    spies = Spies()
    transport = VettedTransport(resolver=FakeDNS(), transport_factory=spies.factory)
    with pytest.raises(UnsafeURLError) as caught:
        await transport.handle_async_request(httpx.Request("POST", url))
    assert reason_of(caught) == reason
    assert spies.sent == []


async def test_a_host_that_does_not_resolve_is_a_transient_connect_error() -> None:
    transport = VettedTransport(resolver=FakeDNS(), transport_factory=Spies().factory)
    async with delivery_client(transport, timeout_seconds=5) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await client.post("https://gone.example.com/", content=b"{}")
    assert classify(None, caught.value) is Outcome.RETRY


async def test_a_slow_lookup_is_a_connect_timeout() -> None:
    async def hanging(host: str, port: int) -> list[str]:
        await anyio.sleep(30)
        return [PUBLIC_V4]

    transport = VettedTransport(resolver=hanging, resolve_timeout_seconds=0.05)
    started = time.monotonic()
    with pytest.raises(httpx.ConnectTimeout):
        await transport.handle_async_request(httpx.Request("GET", "https://slow.example.com/"))
    assert time.monotonic() - started < 5
    await transport.aclose()


async def test_a_real_receiver_on_loopback_is_reached_only_when_private_urls_are_allowed(
    receiver: Receiver,
) -> None:
    url = f"http://127.0.0.1:{receiver.port}/hook"
    async with delivery_client(VettedTransport(allow_private=True), timeout_seconds=5) as client:
        response = await client.post(url, content=b'{"a":1}')
    assert response.status_code == 200
    assert [(r.method, r.target, r.body) for r in receiver.requests] == [
        ("POST", "/hook", b'{"a":1}')
    ]
    before = receiver.connections
    async with delivery_client(VettedTransport(allow_private=False), timeout_seconds=5) as client:
        with pytest.raises(UnsafeURLError) as caught:
            await client.post(url, content=b'{"a":1}')
    assert reason_of(caught) == "blocked_ip"
    await asyncio.sleep(0.05)  # a connection, had one been opened, would be counted by now
    assert receiver.connections == before
    assert len(receiver.requests) == 1


async def test_a_named_receiver_keeps_its_host_header_and_the_next_address_is_tried(
    receiver: Receiver,
) -> None:
    # ::1 refuses (the receiver listens on 127.0.0.1 only), so the next vetted address is used.
    dns = FakeDNS({"receiver.test": [["::1", "127.0.0.1"]]})
    transport = VettedTransport(resolver=dns, allow_private=True)
    async with delivery_client(transport, timeout_seconds=5) as client:
        response = await client.get(f"http://receiver.test:{receiver.port}/ping")
    assert response.status_code == 200
    assert receiver.requests[0].headers["host"] == f"receiver.test:{receiver.port}"


async def test_tls_is_verified_for_the_original_host_name(
    tls_receiver: tuple[Receiver, ssl.SSLContext],
) -> None:
    server, trusted = tls_receiver
    dns = FakeDNS({"receiver.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
    transport = VettedTransport(resolver=dns, allow_private=True, ssl_context=trusted)
    async with delivery_client(transport, timeout_seconds=5) as client:
        response = await client.post(f"https://receiver.test:{server.port}/tls", content=b"{}")
        assert response.status_code == 200
        assert server.server_names == ["receiver.test"]
        assert server.requests[0].headers["host"] == f"receiver.test:{server.port}"
        # Same address, another name: the certificate does not cover it, so the handshake fails.
        with pytest.raises(httpx.ConnectError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            await client.post(f"https://other.test:{server.port}/tls", content=b"{}")
    assert len(server.requests) == 1


async def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(
    receiver: Receiver,
) -> None:
    # Checklist row 37.
    receiver.status = 302
    receiver.response_headers = {"location": "http://169.254.169.254/latest/meta-data/"}
    url = f"http://127.0.0.1:{receiver.port}/hook"
    async with delivery_client(VettedTransport(allow_private=True), timeout_seconds=5) as client:
        response = await client.post(url, content=b"{}")
    assert response.status_code == 302
    assert classify(response.status_code) is Outcome.RETRY
    assert len(receiver.requests) == 1


async def test_a_client_that_follows_redirects_is_still_vetted_at_each_hop(
    receiver: Receiver,
) -> None:
    receiver.status = 307
    receiver.response_headers = {"location": "http://169.254.169.254/latest/meta-data/"}
    transport = VettedTransport(allow_private=True)
    async with httpx.AsyncClient(transport=transport, follow_redirects=True) as client:
        with pytest.raises(UnsafeURLError, match="metadata"):
            await client.get(f"http://127.0.0.1:{receiver.port}/hook")
    assert len(receiver.requests) == 1


def test_the_delivery_client_never_follows_redirects_nor_trusts_the_environment() -> None:
    client = delivery_client(VettedTransport(), timeout_seconds=7.5)
    assert client.follow_redirects is False
    assert client.trust_env is False
    assert client.timeout == httpx.Timeout(7.5)


# ---------------------------------------------------------------------------------------------
# Checklist row 39: what a receiver gets.


async def test_a_delivered_request_verifies_with_both_schemes(receiver: Receiver) -> None:
    secret = generate_secret()
    body = json.dumps({"event_id": "evt_1", "type": "task.created", "payload": {}}).encode()
    timestamp = int(time.time())
    headers = outbound_headers(secret, "evt_1", "tenant-a", timestamp, body)
    url = f"http://127.0.0.1:{receiver.port}/hook"
    async with delivery_client(VettedTransport(allow_private=True), timeout_seconds=5) as client:
        await client.post(url, content=body, headers=headers)
    (got,) = receiver.requests
    assert got.body == body
    assert got.headers["x-alfred-signature"] == sign(secret, timestamp, got.body)
    verify(
        secret,
        got.headers["x-alfred-timestamp"],
        got.body,
        got.headers["x-alfred-signature"],
        now=datetime.now(UTC),
    )
    assert got.headers["x-alfred-event-id"] == got.headers["webhook-id"] == "evt_1"
    assert got.headers["x-alfred-tenant-id"] == "tenant-a"
    assert got.headers["content-type"] == "application/json"
    standardwebhooks.Webhook(secret).verify(got.body, got.headers)
