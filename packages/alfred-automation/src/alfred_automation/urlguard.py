"""The SSRF guard: which destination URLs are allowed, and a transport that keeps to them.

Three layers, used together:

1. `validate_destination_url` (save time, no network): http(s) only, no credentials, a host, an
   allowed port, https in production, and no literal address or local name that is refused.
2. `resolve_and_vet` (save time and every delivery): resolve the host to **all** its addresses
   and refuse the lot if **any** is refused (strict policy: ``[public, 127.0.0.1]`` is blocked).
   `vet_destination_url` runs 1 and 2 for the save path.
3. `VettedTransport` (delivery): for every request it resolves and vets the host again, then
   connects to a vetted address itself, so a DNS answer that changed since the save
   (rebinding) cannot send a socket anywhere else; ``Host`` and TLS (SNI and certificate
   checks) keep the original host name.

Refused addresses: loopback, private (RFC 1918), link-local, CGNAT, benchmarking, documentation,
multicast, reserved, unspecified, IPv6 unique-local and site-local, IPv4-mapped and -compatible
IPv6, Teredo, and NAT64 (``64:ff9b::/96``) or 6to4 (``2002::/16``) addresses that embed a refused
IPv4 address. IPv6 is otherwise allowed only in global unicast ``2000::/3``. Literal hosts are
read in every form ``inet_aton`` accepts (``2130706433``, ``0x7f000001``, ``0177.0.0.1``,
``127.1``). Refused names: ``localhost`` and ``*.localhost``, ``*.local``, ``*.internal``,
``*.home.arpa``, ``*.localdomain`` and single-label names (no public destination lacks a dot).

``allow_private=True`` (``AUTOMATION_ALLOW_PRIVATE_URLS``, local development and tests) lifts the
address, name and port checks, but never the scheme and credential checks, and never the cloud
metadata endpoints (``169.254.169.254``, ``fd00:ec2::254``, ``metadata.google.internal``, ...):
a setting switched on by mistake in a cloud deployment still cannot reach instance credentials.

Port policy: by default only 80, 443, 8080 and 8443 (`DEFAULT_ALLOWED_PORTS`); with
``allow_private=True`` any port from 1 to 65535, since local receivers listen on arbitrary ports.

Redirects are never followed: `delivery_client` sets ``follow_redirects=False`` (a 3xx is a
failed attempt), and even a client that follows them sends each hop through the transport,
which vets it again. It also sets ``trust_env=False``: a proxy taken from the environment would
resolve the host itself, out of the guard's reach.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import anyio
import httpx

from alfred_automation.errors import UnsafeURLError

__all__ = [
    "DEFAULT_ALLOWED_PORTS",
    "IPAddress",
    "ParsedURL",
    "Resolver",
    "VettedTransport",
    "address_block_reason",
    "delivery_client",
    "parse_ip_literal",
    "resolve_and_vet",
    "system_resolver",
    "validate_destination_url",
    "vet_destination_url",
]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver: TypeAlias = Callable[[str, int], Awaitable[Sequence[str]]]
"""An async ``(host, port) -> addresses`` lookup; it returns every address, as text."""

DEFAULT_ALLOWED_PORTS: frozenset[int] = frozenset({80, 443, 8080, 8443})
_SCHEMES: dict[str, Literal["http", "https"]] = {"http": "http", "https": "https"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MAX_URL_LENGTH = 2048
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_INET_ATON_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")

_METADATA_NAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data"}
)
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, ...
        "169.254.170.2",  # AWS ECS task credentials
        "100.100.100.200",  # Alibaba Cloud
        "fd00:ec2::254",  # AWS IMDS over IPv6
    )
)
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".localdomain")

_V4_REFUSED = [
    (ipaddress.IPv4Network(net), category)
    for net, category in (
        ("0.0.0.0/8", "unspecified"),
        ("10.0.0.0/8", "private"),
        ("100.64.0.0/10", "cgnat"),
        ("127.0.0.0/8", "loopback"),
        ("169.254.0.0/16", "link_local"),
        ("172.16.0.0/12", "private"),
        ("192.0.0.0/24", "reserved"),
        ("192.0.2.0/24", "documentation"),
        ("192.88.99.0/24", "reserved"),  # the deprecated 6to4 relay anycast
        ("192.168.0.0/16", "private"),
        ("198.18.0.0/15", "benchmarking"),
        ("198.51.100.0/24", "documentation"),
        ("203.0.113.0/24", "documentation"),
        ("224.0.0.0/4", "multicast"),
        ("240.0.0.0/4", "reserved"),  # includes 255.255.255.255
    )
]
# First match wins, so the narrower networks come first.
_V6_REFUSED = [
    (ipaddress.IPv6Network(net), category)
    for net, category in (
        ("::/128", "unspecified"),
        ("::1/128", "loopback"),
        ("::ffff:0:0/96", "ipv4_mapped"),
        ("::/96", "ipv4_compatible"),
        ("64:ff9b:1::/48", "private"),  # local-use NAT64
        ("100::/64", "reserved"),  # discard-only
        ("2001::/32", "teredo"),
        ("2001:db8::/32", "documentation"),
        ("2001::/23", "reserved"),  # IETF protocol assignments
        ("3fff::/20", "documentation"),
        ("5f00::/16", "reserved"),  # SRv6 SIDs
        ("fc00::/7", "unique_local"),
        ("fe80::/10", "link_local"),
        ("fec0::/10", "site_local"),
        ("ff00::/8", "multicast"),
    )
]
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")


@dataclass(frozen=True, slots=True)
class ParsedURL:
    """A destination URL that passed `validate_destination_url`.

    Attributes:
        url: The URL normalized by httpx (lowercase scheme and host, IDNA), to store and send.
        scheme: ``http`` or ``https``.
        host: The host to resolve: lowercase ASCII, no brackets, no trailing dot.
        port: The effective port (80 or 443 when the URL has none).
        ip: The address when the host is a literal (in any encoding), otherwise None.
    """

    url: str
    scheme: Literal["http", "https"]
    host: str
    port: int
    ip: IPAddress | None


def validate_destination_url(
    url: str,
    *,
    allow_private: bool = False,
    allowed_ports: Collection[int] = DEFAULT_ALLOWED_PORTS,
    require_https: bool = False,
) -> ParsedURL:
    """Check a destination URL without touching the network (the save-time checks).

    A host name is not resolved here: call `vet_destination_url` on save, which adds
    `resolve_and_vet`.

    Args:
        url: The URL as the user typed it.
        allow_private: Lift the address, name and port checks (local development and tests).
        allowed_ports: The ports allowed when ``allow_private`` is false.
        require_https: Refuse ``http:`` (set it in production).

    Returns:
        The parsed URL.

    Raises:
        UnsafeURLError: With reason ``invalid_url``, ``scheme_not_allowed``, ``https_required``,
            ``credentials_in_url``, ``missing_host``, ``port_not_allowed``, ``blocked_host`` or
            ``blocked_ip``.
    """
    if len(url) > _MAX_URL_LENGTH:
        raise UnsafeURLError("invalid_url", "longer than 2048 characters")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UnsafeURLError("invalid_url") from exc
    scheme = _check_scheme_and_credentials(parsed)
    if require_https and scheme != "https":
        raise UnsafeURLError("https_required")
    host = _normalize_host(parsed.raw_host.decode("ascii"))
    if not host:
        raise UnsafeURLError("missing_host")
    port = parsed.port if parsed.port is not None else _DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535 or (not allow_private and port not in allowed_ports):
        raise UnsafeURLError("port_not_allowed", str(port))
    ip = parse_ip_literal(host)
    if ip is None:
        _check_name(host, allow_private=allow_private)
    else:
        category = address_block_reason(ip, allow_private=allow_private)
        if category is not None:
            raise UnsafeURLError("blocked_ip", f"{ip} ({category})")
    return ParsedURL(url=str(parsed), scheme=scheme, host=host, port=port, ip=ip)


async def vet_destination_url(
    url: str,
    *,
    resolver: Resolver | None = None,
    allow_private: bool = False,
    allowed_ports: Collection[int] = DEFAULT_ALLOWED_PORTS,
    require_https: bool = False,
) -> ParsedURL:
    """Run every save-time check: `validate_destination_url`, then `resolve_and_vet`.

    Raises:
        UnsafeURLError: See both functions; ``unresolvable`` when the host has no address.
    """
    parsed = validate_destination_url(
        url, allow_private=allow_private, allowed_ports=allowed_ports, require_https=require_https
    )
    await resolve_and_vet(parsed.host, parsed.port, resolver=resolver, allow_private=allow_private)
    return parsed


async def resolve_and_vet(
    host: str,
    port: int,
    *,
    resolver: Resolver | None = None,
    allow_private: bool = False,
) -> list[IPAddress]:
    """Resolve a host to all its addresses and return them only if every one is allowed.

    A literal address (bracketed IPv6, or IPv4 in any ``inet_aton`` form) is not looked up.

    Args:
        host: A host name or literal address, as in a URL.
        port: The port, passed to the resolver.
        resolver: The lookup; `system_resolver` when None.
        allow_private: Lift the address and name checks, except for metadata endpoints.

    Returns:
        The addresses, deduplicated, in the resolver's order: connect only to these.

    Raises:
        UnsafeURLError: ``blocked_host``, ``blocked_ip`` (if **any** address is refused), or
            ``unresolvable`` (lookup failed or returned nothing usable).
    """
    name = _normalize_host(host)
    literal = parse_ip_literal(name)
    addresses: list[IPAddress] = []
    if literal is not None:
        addresses.append(literal)
    else:
        _check_name(name, allow_private=allow_private)
        try:
            answers = await (resolver or system_resolver)(name, port)
        except OSError as exc:
            raise UnsafeURLError("unresolvable", name) from exc
        for answer in answers:
            try:
                address = ipaddress.ip_address(answer.split("%", 1)[0])  # drop an IPv6 zone
            except ValueError as exc:
                raise UnsafeURLError("unresolvable", name) from exc
            if address not in addresses:
                addresses.append(address)
        if not addresses:
            raise UnsafeURLError("unresolvable", name)
    for address in addresses:
        category = address_block_reason(address, allow_private=allow_private)
        if category is not None:
            raise UnsafeURLError("blocked_ip", f"{name} -> {address} ({category})")
    return addresses


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve through the operating system (``getaddrinfo`` in a worker thread).

    Raises:
        OSError: The lookup failed (``socket.gaierror``).
    """
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def parse_ip_literal(host: str) -> IPAddress | None:
    """Read a host as a literal address the way the operating system would, or return None.

    Accepts bracketed or bare IPv6 (without a zone) and every IPv4 form of ``inet_aton``: 1 to 4
    dot-separated parts, each decimal, octal (leading ``0``) or hex (``0x``), the last part
    filling the remaining bytes (``127.1``, ``2130706433``, ``0x7f000001``, ``0177.0.0.1``).
    """
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host) if "%" not in host else None
        except ValueError:
            return None
    parts = host.split(".")
    if len(parts) > 4 or not all(_INET_ATON_PART.fullmatch(p) for p in parts):
        return None
    values = [_inet_aton_part(p) for p in parts]
    *leading, last = values
    if any(v > 0xFF for v in leading) or last >= 1 << (8 * (4 - len(leading))):
        return None
    number = last
    for index, value in enumerate(leading):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def _inet_aton_part(part: str) -> int:
    if part[:2] in ("0x", "0X"):
        return int(part[2:], 16)
    return int(part, 8) if part.startswith("0") else int(part)


def address_block_reason(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Return why an address is refused (``loopback``, ``private``, ...), or None if allowed.

    With ``allow_private`` only the cloud metadata addresses are refused (``metadata``).
    """
    embedded = _embedded_ipv4(address)
    if address in _METADATA_ADDRESSES or embedded in _METADATA_ADDRESSES:
        return "metadata"
    if allow_private:
        return None
    if isinstance(address, ipaddress.IPv4Address):
        return next((category for net, category in _V4_REFUSED if address in net), None)
    if address in _NAT64 or address.sixtofour is not None:
        assert embedded is not None  # both prefixes embed an IPv4 address
        category = address_block_reason(embedded)
        prefix = "nat64" if address in _NAT64 else "6to4"
        return f"{prefix}_{category}" if category is not None else None
    category = next((category for net, category in _V6_REFUSED if address in net), None)
    if category is None and address not in _GLOBAL_UNICAST:
        category = "reserved"
    return category


class VettedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that connects only to addresses vetted for each request.

    For every request: refuse a scheme other than http(s) and credentials in the URL, resolve
    the host and vet every address (`resolve_and_vet`), then send the request to a vetted
    address: the URL's host is replaced by the address, the ``Host`` header is kept, and TLS
    uses the original host name for SNI and certificate verification. If connecting to one
    address fails, the next vetted one is tried; nothing is ever sent to an address that was
    not vetted, and a refused answer raises before any socket is opened.

    Each (scheme, host, port) gets its own keep-alive pool, so a TLS connection verified for one
    host name is never reused for another name that shares its address. The pools share one
    SSL context and live until `aclose`.

    Errors: `UnsafeURLError` (``blocked_ip``, ``blocked_host``, ``scheme_not_allowed``,
    ``credentials_in_url``, ``missing_host``) when refused; ``httpx.ConnectError`` when the host
    does not resolve and ``httpx.ConnectTimeout`` when resolving takes too long (both transient,
    like any network error); otherwise whatever the inner transport raises.

    Args:
        resolver: The lookup; `system_resolver` when None.
        allow_private: Lift the address checks (``AUTOMATION_ALLOW_PRIVATE_URLS``).
        resolve_timeout_seconds: The time allowed for one lookup.
        ssl_context: TLS settings for https; httpx's default (certifi roots) when None.
        limits: Connection limits of each per-origin pool.
        transport_factory: Makes the inner transport of one origin; by default an
            ``httpx.AsyncHTTPTransport`` with ``ssl_context``, ``limits`` and ``trust_env=False``.
    """

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        allow_private: bool = False,
        resolve_timeout_seconds: float = 5.0,
        ssl_context: ssl.SSLContext | None = None,
        limits: httpx.Limits | None = None,
        transport_factory: Callable[[], httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        self._resolver = resolver or system_resolver
        self._allow_private = allow_private
        self._resolve_timeout = resolve_timeout_seconds
        self._ssl_context = ssl_context
        self._limits = limits or httpx.Limits(
            max_connections=50, max_keepalive_connections=10, keepalive_expiry=30.0
        )
        self._factory = transport_factory or self._default_transport
        self._pools: dict[tuple[str, str, int], httpx.AsyncBaseTransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Resolve, vet and send one request (see the class docstring)."""
        url = request.url
        scheme = _check_scheme_and_credentials(url)
        host = _normalize_host(url.raw_host.decode("ascii"))
        if not host:
            raise UnsafeURLError("missing_host")
        port = url.port if url.port is not None else _DEFAULT_PORTS[scheme]
        try:
            with anyio.fail_after(self._resolve_timeout):
                addresses = await resolve_and_vet(
                    host, port, resolver=self._resolver, allow_private=self._allow_private
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"resolving {host} timed out", request=request) from exc
        except UnsafeURLError as exc:
            if exc.reason != "unresolvable":
                raise
            raise httpx.ConnectError(str(exc), request=request) from exc
        literal = parse_ip_literal(host)
        extensions = {
            **request.extensions,
            "sni_hostname": host if literal is None else str(literal),
        }
        pool = self._pool_for(scheme, host, port)
        failure: httpx.ConnectError | None = None
        for address in addresses:
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=str(address)),
                headers=request.headers,  # carries the original Host
                stream=request.stream,
                extensions=extensions,
            )
            try:
                return await pool.handle_async_request(pinned)
            except httpx.ConnectError as exc:  # nothing was sent: try the next vetted address
                failure = exc
        assert failure is not None  # resolve_and_vet never returns an empty list
        raise failure

    async def aclose(self) -> None:
        """Close every per-origin pool."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()

    def _pool_for(self, scheme: str, host: str, port: int) -> httpx.AsyncBaseTransport:
        key = (scheme, host, port)
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = self._factory()
        return pool

    def _default_transport(self) -> httpx.AsyncBaseTransport:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context(trust_env=False)
        return httpx.AsyncHTTPTransport(
            verify=self._ssl_context, limits=self._limits, trust_env=False
        )


def delivery_client(
    transport: httpx.AsyncBaseTransport, *, timeout_seconds: float
) -> httpx.AsyncClient:
    """Make the client deliveries are sent with.

    It never follows redirects (a 3xx is a failed attempt, retried per schedule), ignores proxy
    and SSL settings from the environment, and applies ``timeout_seconds``
    (``AUTOMATION_DEFAULT_TIMEOUT_SECONDS``) to connecting, each read and each write.

    Args:
        transport: Normally a `VettedTransport`.
        timeout_seconds: The httpx timeout.
    """
    return httpx.AsyncClient(
        transport=transport,
        timeout=httpx.Timeout(timeout_seconds),
        follow_redirects=False,
        trust_env=False,
    )


def _check_scheme_and_credentials(url: httpx.URL) -> Literal["http", "https"]:
    scheme = _SCHEMES.get(url.scheme)
    if scheme is None:
        raise UnsafeURLError("scheme_not_allowed", url.scheme or "none")
    if url.userinfo:
        raise UnsafeURLError("credentials_in_url")
    return scheme


def _normalize_host(host: str) -> str:
    host = host.lower()
    if host.startswith("[") and host.endswith("]"):
        return host[1:-1]
    return host.removesuffix(".")


def _check_name(host: str, *, allow_private: bool) -> None:
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise UnsafeURLError("invalid_url", "not a valid host name")
    if host in _METADATA_NAMES:
        raise UnsafeURLError("blocked_host", host)
    if allow_private:
        return
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES) or len(labels) == 1:
        raise UnsafeURLError("blocked_host", host)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.teredo is not None:
        return address.teredo[1]
    return None
