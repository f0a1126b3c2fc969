"""Where a webhook may be sent: never to this network's inside.

A venue names a URL and the marketplace POSTs to it: without a check, a venue could make
the server call its own database port, a cloud metadata address or anything else only
the server can reach (SSRF). A target is refused when its host is, or resolves to, a
loopback, private, link-local, multicast, reserved or unspecified address — checked when
the URL is given (a clear 422) and again at every delivery, on the addresses the
connection actually uses (``SafeResolver``), so a name that later resolves inside (DNS
rebinding) is refused too. The setting ``webhooks_allow_private`` (tests, local demos)
lets private targets through.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from services.runtime.errors import FieldError, ValidationFailed

RESOLVE_TIMEOUT_S = 3.0


class InternalTarget(OSError):
    """A delivery refused before connecting: the target is inside."""


def internal(address: str) -> str | None:
    """Why ``address`` is inside (None when it is a public address)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, inside in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                         ("private", ip.is_private), ("multicast", ip.is_multicast),
                         ("unspecified", ip.is_unspecified), ("reserved", ip.is_reserved)):
        if inside:
            return f"{address} is a {kind} address"
    return None


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


async def check_url(url: str, *, allow_private: bool, field: str = "webhook_url") -> None:
    """422 naming ``field`` when ``url`` is not a web URL or points inside. A name that
    does not resolve now is accepted (it is checked again at every delivery)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed([FieldError(field, "an http or https URL with a host")])
    if allow_private:
        return
    host = parts.hostname
    addresses = [host] if _literal(host) else []
    if not addresses:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_S):
                infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
            addresses = [i[4][0] for i in infos]
        except (OSError, TimeoutError):
            return
    for a in addresses:
        why = internal(a)
        if why is not None:
            raise ValidationFailed([FieldError(field, f"webhooks may not target internal addresses: {host} → {why}")],
                                   detail=f"{field}: {host} resolves to an internal address ({why})")


def refused_literal(url: str, allow_private: bool) -> str | None:
    """At delivery, for a URL whose host is an IP address (the resolver is not asked)."""
    if allow_private:
        return None
    address = _literal(urlsplit(url).hostname or "")
    return internal(address) if address else None


class SafeResolver(AbstractResolver):
    """Resolves as usual, then drops internal addresses; none left → the connection fails."""

    def __init__(self, allow_private: bool, inner: AbstractResolver | None = None) -> None:
        self.allow_private = allow_private
        self.inner = inner or DefaultResolver()

    async def resolve(self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
                      ) -> list[ResolveResult]:
        found = await self.inner.resolve(host, port, family)
        if self.allow_private:
            return found
        public = [r for r in found if internal(r["host"]) is None]
        if not public:
            raise InternalTarget(f"{host} resolves only to internal addresses ({found[0]['host'] if found else '?'})")
        return public

    async def close(self) -> None:
        await self.inner.close()
