"""``GET /api/v1/events`` on Flask: a generator that holds its worker for as long as the stream is open.

This is the lesson of Server-Sent Events on a WSGI server. A WSGI call lasts until its body iterable
is exhausted, and until then the worker (a sync process, a gthread or uWSGI thread) serves nobody else.
Ten open streams on ten sync workers, and the site answers nothing more. So here:

- the streams are capped across all the server's processes (``settings.sse_max_streams``, counted
  with lock files in ``settings.sse_slots_dir``; the launcher sets both, one fewer than the requests
  the workers can serve at once): a stream beyond the cap gets 503 problem+json with Retry-After,
  and a worker stays free for everything else; on gunicorn's gthread workers each process also
  holds at most ``settings.sse_streams_per_process`` (threads − 1), so each keeps a thread free for
  the connections its main thread accepts and queues;
- a stream ends after ``settings.sse_stream_seconds``, before gunicorn's ``timeout`` (sync workers)
  or uWSGI's ``harakiri`` would kill its worker mid-stream; it says ``retry:`` last, and its client
  reconnects with ``Last-Event-ID`` and misses nothing.

A gevent worker holds thousands of streams (each a greenlet); the Tornado flavours hold them on the
event loop. Between events the generator waits on Redis, or polls the database without it
(:class:`shared.events.Wakeup`).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator

from flask import Blueprint, Response, request, stream_with_context

from shared import events
from shared.auth import Viewer
from shared.events import Wakeup
from shared.storage import notifications
from wsgi_app.api.base import viewer
from wsgi_app.db import current_settings, run

bp = Blueprint("events", __name__)


@bp.get("/events")
def stream_events() -> Response:
    after = events.last_event_id(request.headers.get("Last-Event-ID"))
    settings = current_settings()
    user_id = viewer().require()
    # Room for the stream (503 when there is none), given back when the server closes the answer.
    release = events.take_stream(settings)
    try:
        wakeup = Wakeup(settings, user_id)
        body = stream(viewer(), after, wakeup, settings.sse_stream_seconds)
        response = Response(stream_with_context(body), content_type=events.CONTENT_TYPE, headers=events.HEADERS)
    except BaseException:
        release()
        raise
    response.call_on_close(wakeup.close)
    response.call_on_close(release)
    return response


def stream(caller: Viewer, after: int | None, wakeup: Wakeup, seconds: float) -> Iterator[bytes]:
    """The stream's bytes: ``retry:``, what is new since ``after``, then each change as it comes (and
    a comment line when nothing has been sent for a while), until ``seconds`` are over."""
    # retry: goes out with the first read's events, not before: a client that has its answer's head
    # has a stream whose starting point is fixed, and misses nothing it does next
    after, count = yield from catch_up(caller, after, None, events.RETRY)
    end = time.monotonic() + seconds
    beat = time.monotonic() + events.BLOCKING_HEARTBEAT_SECONDS
    while (left := end - time.monotonic()) > 0:
        if wakeup.wait(min(left, beat - time.monotonic())):
            after, count = yield from catch_up(caller, after, count)
        if time.monotonic() >= beat:
            yield events.KEEPALIVE   # a client that has gone is noticed here: the write fails
            beat += events.BLOCKING_HEARTBEAT_SECONDS
    yield events.RETRY   # the end, before the worker's timeout: reconnect in a second


def catch_up(caller: Viewer, after: int | None, count: int | None,
             first: bytes = b"") -> Generator[bytes, None, tuple[int, int]]:
    """Yield ``first``, the notifications after ``after`` and the unread count if it is not ``count``;
    return the id and the count to go on from."""
    while True:
        batch = run(notifications.events_after(caller, after))
        chunk, first = first + events.render(batch, count), b""
        if chunk:
            yield chunk
        after, count = batch["last_id"], batch["count"]
        if not batch["more"]:
            return after, count
