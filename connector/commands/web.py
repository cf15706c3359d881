"""`relance web`: the collector's cockpit in a browser (connector/web/), served by uvicorn.

Bound to 127.0.0.1 by default; for a firm, put it behind a TLS reverse proxy (docs/web.md) and
name that proxy with --trusted-proxy so that its X-Forwarded-Proto makes cookies Secure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from connector.commands.context import Obj, handle_errors
from connector.commands.words import say

if TYPE_CHECKING:
    import uvicorn

    from connector.web.site import Site

host_option = click.option("--host", default="127.0.0.1", show_default=True,
                           help="Address to listen on (keep 127.0.0.1 behind a reverse proxy).")
port_option = click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
secure_option = click.option("--secure", is_flag=True,
                             help="Cookies only over HTTPS (TLS ends at a proxy you trust).")
proxy_option = click.option("--trusted-proxy", "proxies", multiple=True, metavar="IP",
                            help="A reverse proxy whose X-Forwarded-For/-Proto are believed.")


def build_server(obj: Obj, host: str, port: int, secure: bool,
                 proxies: tuple[str, ...]) -> tuple[uvicorn.Server, Site]:
    import uvicorn

    from connector.web.app import create_app
    from connector.web.site import open_site
    site = open_site(obj.config_path, obj.firm, today=obj.today, secure=secure)
    token = site.first_start()
    if token is not None:
        click.echo(say("web.first_start", obj.language,
                       url=f"http://{host}:{port}/setup?token={token}"), err=True)
    config = uvicorn.Config(create_app(site), host=host, port=port, log_level="warning",
                            proxy_headers=bool(proxies),
                            forwarded_allow_ips=list(proxies) if proxies else None,
                            server_header=False)
    return uvicorn.Server(config), site


def register(main: click.Group) -> None:
    @main.command("web")
    @host_option
    @port_option
    @secure_option
    @proxy_option
    @click.pass_obj
    @handle_errors
    def web(obj: Obj, host: str, port: int, secure: bool, proxies: tuple[str, ...]) -> None:
        """The collector's web cockpit: review, customers, tasks, letters, dashboard."""
        server, site = build_server(obj, host, port, secure, proxies)
        click.echo(say("web.listening", obj.language, url=f"http://{host}:{port}/"), err=True)
        try:
            server.run()
        finally:
            site.close()
