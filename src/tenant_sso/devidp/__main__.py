"""Command line: ``python -m tenant_sso.devidp --config devidp.json [options]``.

Serves the development identity provider on 127.0.0.1 until Ctrl-C (or SIGTERM), logging one line
per request to stderr with codes, tokens and secrets shortened.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .config import DevIdPConfig
from .exceptions import DevIdPError
from .provider import DevIdP
from .server import LOOPBACK_HOSTS, DevIdPServer


def build_parser() -> argparse.ArgumentParser:
    """The ``python -m tenant_sso.devidp`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="python -m tenant_sso.devidp",
        description="Local AWS-Cognito-compatible identity provider for development and tests.",
    )
    parser.add_argument("--config", required=True, help="pool configuration, .json or .toml")
    parser.add_argument("--host", default="127.0.0.1", choices=LOOPBACK_HOSTS, help="loopback only")
    parser.add_argument("--port", type=int, default=9000, help="port (0 = any free port; default 9000)")
    parser.add_argument(
        "--key-file", help="JSON file keeping the signing keys across restarts (created 0600)"
    )
    parser.add_argument(
        "--rotate-keys",
        action="store_true",
        help="add a new signing key before serving; older keys stay in the JWKS",
    )
    parser.add_argument(
        "--retain-keys", type=int, metavar="N", help="with --rotate-keys, keep only the newest N keys"
    )
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    return parser


def describe(server: DevIdPServer) -> str:
    """The start-up banner: URLs, clients and users (never client secrets)."""
    idp = server.idp
    lines = [
        "devidp: local Cognito-compatible identity provider",
        f"  base URL (Cognito domain): {server.base_url}",
        f"  issuer:                    {server.issuer}",
        f"  discovery:                 {server.discovery_url}",
        f"  signing key id:            {idp.keys.current.kid}",
    ]
    for client in idp.config.clients:
        lines.append(
            f"  client {client.client_id}  (identity providers: {', '.join(client.identity_providers)})"
        )
        for url in client.callback_urls:
            lines.append(f"      callback: {url}")
        for url in client.logout_urls:
            lines.append(f"      sign-out: {url}")
    for provider in idp.config.identity_providers:
        if provider.is_saml:
            source = provider.metadata_url or provider.metadata_file
            init = ", IdP-initiated on" if provider.idp_initiated else ""
            lines.append(f"  SAML identity provider {provider.name} [{provider.groups_format}{init}]: {source}")
            continue
        emails = ", ".join(u.email for u in idp.users(provider.name)) or "(no users)"
        lines.append(f"  identity provider {provider.name} [{provider.groups_format}]: {emails}")
    if any(p.is_saml for p in idp.config.identity_providers):
        lines.append(f"  SAML SP entity id:         {idp.sp_entity_id}")
        lines.append(f"  SAML ACS URL:              {idp.acs_url}")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until interrupted; returns the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s devidp %(message)s",
    )
    try:
        idp = DevIdP(DevIdPConfig.load(args.config), key_file=args.key_file)
        if args.rotate_keys:
            if not args.key_file:
                print(
                    "devidp: warning: --rotate-keys without --key-file has no lasting effect", file=sys.stderr
                )
            kid = idp.rotate_keys(retain=args.retain_keys)
            print(f"devidp: rotated signing keys; new kid {kid}", file=sys.stderr)
        server = idp.serve(host=args.host, port=args.port)
    except (DevIdPError, ValueError) as exc:
        print(f"devidp: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"devidp: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    # Explicit handlers: a background job's SIGINT may be ignored, and SIGTERM should be clean too.
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    print(describe(server), flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print("devidp: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
