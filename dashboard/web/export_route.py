"""The server's own route for finished background exports: ``GET /export/<token>``.

Streamlit 1.67 serves the app with Starlette and lets an app add routes of its own (``st.App``,
``routes=``; :mod:`dashboard.app` does, and ``streamlit run dashboard/app.py`` finds it). This
one answers the link the downloads page shows for a finished job
(:func:`dashboard.exports.job.claim`):

* the download is recorded in the audit log first; if the record fails while sign-in is
  required, the answer is 503 and nothing of the file is sent;
* the file is streamed from disk in chunks (Starlette's ``FileResponse``): the server never
  holds it (``st.download_button`` would keep the whole file in Streamlit's in-memory media
  store until it is fetched);
* once the last byte is sent, the job's folder (the file with it) is removed; an unknown,
  expired or already served token gets 404.

Any dashboard process answers any link (the job folder and its token's hash are on the
machine's disk, not in one process), so it works behind nginx, whichever process the request
reaches.
"""
from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from dashboard.exports import job as export_job
from dashboard.exports import writers
from dashboard.security import audit
from dashboard.store import data

PATH = "/export/{token}"
PAGE = "downloads"


def link(token: str) -> str:
    """The link of a finished job, relative to a page (``/downloads`` → ``/export/<token>``)."""
    return f"export/{token}"


def audit_target() -> tuple[audit.AuditLog, bool]:
    """This process's audit log, and whether a download must be on it to be served (sign-in)."""
    settings = data.settings()
    return audit.log_for_settings(settings), settings.sign_in_required


def _claim(token: str, client: str) -> export_job.Job:
    log, required = audit_target()
    return export_job.claim(token, log, PAGE, client, required=required)


async def serve(request: Request) -> Response:
    """The whole file, audited first and removed after; a HEAD (which would record and remove
    without sending) is refused, a byte range is answered with the whole file."""
    if request.method != "GET":
        return PlainTextResponse("GET only.", status_code=405, headers={"Allow": "GET"})
    token = request.path_params.get("token", "")
    client = request.client.host if request.client is not None else "local"
    try:
        job = await run_in_threadpool(_claim, token, client)
    except export_job.NotOffered:
        return PlainTextResponse("Not found: this download link is unknown, expired or used.", status_code=404)
    except audit.AuditError:
        return PlainTextResponse("The audit log could not record this download: nothing is served.",
                                 status_code=503)
    # One whole answer per audit entry: a Range header is dropped (the response is sent with this scope).
    request.scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k.lower() not in (b"range", b"if-range")]
    headers = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Accept-Ranges": "none"}
    return FileResponse(job.output, media_type=writers.FORMATS[job.spec.fmt].mime, filename=job.spec.file_name,
                        headers=headers, background=BackgroundTask(job.remove))


def routes() -> list[Route]:
    return [Route(PATH, serve, methods=["GET"])]
