"""The ceilings: the least a Tornado app and a Flask app can do, measured in the same run as the forum.

Each server answers two routes the forum has too, with none of the forum's work behind them:
``GET /healthz`` (a constant JSON body) and ``GET /api/v1/link-preview?url=`` (fetch the page, no
auth, no database, no parsing). A forum figure read as a fraction of its framework's ceiling shows
what the forum's own work costs, apart from what the framework and the server cost.

    python -m loadtests.hello tornado --port 8901 [--http-client curl] [--max-clients 1000] [--no-uvloop]
    python -m loadtests.hello flask --port 8902 --workers 5      # gunicorn, sync workers
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import urllib.request

import flask
import tornado.web
from tornado.httpclient import AsyncHTTPClient
from tornado.httpserver import HTTPServer

HEALTH = {"status": "ok"}
UPSTREAM_TIMEOUT = 5.0


# --- Tornado: one process, one event loop ------------------------------------------------------

class TornadoHealth(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write(HEALTH)


class TornadoPreview(tornado.web.RequestHandler):
    async def get(self) -> None:
        url = self.get_query_argument("url")
        response = await AsyncHTTPClient().fetch(url, request_timeout=UPSTREAM_TIMEOUT, raise_error=False)
        self.set_status(200 if response.code == 200 else 502)
        self.write({"url": url, "status": response.code, "bytes": len(response.body or b"")})


def make_tornado_app() -> tornado.web.Application:
    return tornado.web.Application(
        [(r"/healthz", TornadoHealth), (r"/api/v1/link-preview", TornadoPreview)],
        log_function=lambda handler: None,  # no access log on the hot path, as in the forum's bench runs
    )


async def serve_tornado(port: int) -> None:
    HTTPServer(make_tornado_app()).listen(port, "127.0.0.1")
    print(f"hello-tornado ready on http://127.0.0.1:{port}/", flush=True)
    await asyncio.Event().wait()


def run_tornado(port: int, http_client: str, max_clients: int, use_uvloop: bool) -> None:
    """The client settings are flags because they are what the I/O-bound scenario is about:
    simple_httpclient allows only ``max_clients`` fetches at once (10 unless configured) and opens a
    new connection for each; curl_httpclient keeps connections to the upstream alive."""
    impl = "tornado.curl_httpclient.CurlAsyncHTTPClient" if http_client == "curl" else None
    AsyncHTTPClient.configure(impl, max_clients=max_clients)
    try:
        if use_uvloop:            # the forum's Tornado runs on uvloop when it is installed; so does its ceiling
            import uvloop

            uvloop.run(serve_tornado(port))
        else:
            asyncio.run(serve_tornado(port))
    except KeyboardInterrupt:
        pass


# --- Flask: a WSGI app, served by gunicorn's sync workers ----------------------------------------

flask_app = flask.Flask("hello_flask")


@flask_app.get("/healthz")
def flask_health() -> flask.Response:
    return flask.jsonify(HEALTH)


@flask_app.get("/api/v1/link-preview")
def flask_preview() -> tuple[flask.Response, int]:
    url = flask.request.args["url"]
    with urllib.request.urlopen(url, timeout=UPSTREAM_TIMEOUT) as response:  # noqa: S310 (bench-only, URL from the bench)
        body = response.read()
        return flask.jsonify(url=url, status=response.status, bytes=len(body)), 200


def run_flask(port: int, workers: int) -> None:
    """Replace this process with gunicorn, so the bench measures gunicorn's own process tree."""
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    os.execv(gunicorn, [gunicorn, "--workers", str(workers), "--worker-class", "sync",
                        "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "loadtests.hello:flask_app"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("framework", choices=("tornado", "flask"))
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=5, help="flask: gunicorn sync workers")
    parser.add_argument("--http-client", choices=("simple", "curl"), default="simple", help="tornado")
    parser.add_argument("--max-clients", type=int, default=1000, help="tornado: concurrent upstream fetches")
    parser.add_argument("--no-uvloop", dest="uvloop", action="store_false", help="tornado: asyncio's own loop")
    args = parser.parse_args()
    if args.framework == "tornado":
        run_tornado(args.port, args.http_client, args.max_clients, args.uvloop)
    else:
        run_flask(args.port, args.workers)


if __name__ == "__main__":
    main()
