"""A Streamlit session without a browser: Streamlit 1.60's own protocol over its WebSocket, with the protobuf
classes Streamlit ships, so a load test costs the machine what the server does and not what twenty browsers do.

What the browser does, and so this client:
- connect: an HTTP GET of /_stcore/health, whose answer sets the `_streamlit_xsrf` cookie (in 1.60 the health
  check sets it, not the page); then the WebSocket at /_stcore/stream with the page's Origin, that cookie, and
  the subprotocols "streamlit" and the cookie's token (the server reads the token from the second subprotocol);
- run the script: a BackMsg `rerun_script` carrying the widget values it holds (a form's values only with its
  submit button's trigger), the page's script hash (a page change names the new page's), the fragment's id for a
  widget inside a fragment, and the context a browser reports (time zone, locale, URL);
- read ForwardMsgs into the page (bench/streamlit_tree.py): `new_session` opens a run, deltas draw, and
  `script_finished` ends it (then the page drops what the run did not send and the client forgets the values
  of widgets no longer shown, as the frontend does);
- a deferred download: a BackMsg `backend_operation_request` for the button's deferred file id, then an HTTP GET
  of the URL in the answer.
No cached-message hashes are sent, so the server sends every element in full (never a `ref_hash`).
"""
from __future__ import annotations

import asyncio
import urllib.request
import uuid
from collections.abc import Callable
from urllib.parse import urlsplit

from streamlit.proto.BackMsg_pb2 import BackendOperationRequest, BackMsg, DeferredFileRequestPayload
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import BackendOperationResponse, ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.asyncio.client import ClientConnection, connect

from bench.streamlit_tree import Found, PageTree

XSRF_COOKIE = "_streamlit_xsrf"
FINISHED = (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


class ProtocolError(RuntimeError):
    """The server said something a browser would show as broken (a compile error, a missing page, ...)."""


def _get(url: str, cookie: str, timeout_s: float) -> tuple[bytes, list[str]]:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        return response.read(), response.headers.get_all("Set-Cookie") or []


def widget_state(found: Found, value: object) -> WidgetState:
    """The WidgetState a browser sends for `value` in this widget: a string for text inputs, select boxes and
    radios (the option as shown), the shown options for a multiselect, a bool for a checkbox or toggle, a
    trigger for a button (its value is ignored)."""
    kind = found.kind
    state = WidgetState(id=found.widget_id)
    if kind in ("text_input", "selectbox", "radio"):
        state.string_value = str(value)
    elif kind == "multiselect":
        state.string_array_value.data.extend(str(v) for v in value)  # type: ignore[attr-defined]
    elif kind == "checkbox":
        state.bool_value = bool(value)
    elif kind == "button":
        state.trigger_value = True
    else:
        raise ValueError(f"no widget value for a {kind}")
    return state


class StreamlitSession:
    def __init__(self, url: str, timeout_s: float) -> None:
        self.url, self.timeout_s = url.rstrip("/"), timeout_s
        self.page = PageTree()
        self.values: dict[str, WidgetState] = {}  # what the browser holds: sent with every rerun
        self.pages: dict[str, str] = {}  # page title -> page script hash, from the navigation message
        self.session_id = self.page_hash = self.main_hash = self.cookie = ""
        self.fragments_this_run: list[str] = []
        self.started = self.finished = 0  # runs started; the number of the last one that finished successfully
        self.responses: dict[str, BackendOperationResponse] = {}
        self.socket: ClientConnection | None = None

    async def connect(self) -> None:
        _, cookies = await asyncio.to_thread(_get, f"{self.url}/_stcore/health", "", self.timeout_s)
        token = next((c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith(f"{XSRF_COOKIE}=")), "")
        self.cookie = f"{XSRF_COOKIE}={token}" if token else ""
        parts = urlsplit(self.url)
        self.socket = await connect(
            f"ws://{parts.netloc}/_stcore/stream", origin=self.url, subprotocols=["streamlit", token] if token else ["streamlit"],
            additional_headers={"Cookie": self.cookie} if self.cookie else None, open_timeout=self.timeout_s,
            # No protocol pings: a browser sends none, and a busy server's late pong must not end the session.
            ping_interval=None, max_size=None, proxy=None)

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def rerun(self, *changes: tuple[Found, object], page: str | None = None, fragment_id: str = "") -> int:
        """Set widget values (a button: its trigger, sent once) and ask for a run, of the page titled `page` if
        given; returns the number of runs started before it, for run_finished."""
        triggers = []
        for found, value in changes:
            state = widget_state(found, value)
            if state.WhichOneof("value") == "trigger_value":
                triggers.append(state)
            else:
                self.values[state.id] = state
        page_hash = self.page_hash
        if page is not None:
            page_hash = self.pages[page]
            # A page change keeps only the values of widgets the main script draws (the sidebar's), as the browser does.
            kept = {f.widget_id for f in self.page.elements() if f.script_hash == self.main_hash}
            self.values = {k: v for k, v in self.values.items() if k in kept}
        state = ClientState(page_script_hash=page_hash, fragment_id=fragment_id)
        state.widget_states.widgets.extend([*self.values.values(), *triggers])
        state.context_info.timezone, state.context_info.timezone_offset = "UTC", 0
        state.context_info.locale, state.context_info.url = "en-US", f"{self.url}/"
        state.context_info.is_embedded, state.context_info.color_scheme = False, "light"
        mark = self.started
        await self._send(BackMsg(rerun_script=state))
        return mark

    async def run_finished(self, mark: int, ready: Callable[[], bool] = lambda: True) -> None:
        """Wait until a run started after `mark` has finished and `ready()` holds."""
        await self.until(lambda: self.finished > mark and ready())

    async def until(self, ready: Callable[[], bool]) -> None:
        """Read ForwardMsgs until `ready()` holds; TimeoutError after the session's timeout."""
        try:
            async with asyncio.timeout(self.timeout_s):
                while not ready():
                    self._take(await self.socket.recv())  # type: ignore[union-attr]
        except TimeoutError:
            raise TimeoutError(f"not there within {self.timeout_s:.0f} s ({self.started} runs started, the last "
                               f"finished being run {self.finished})") from None

    async def download(self, found: Found) -> bytes:
        """The file behind a download button, fetched as the browser does; a deferred one (its data a callable)
        is first produced on request."""
        if not found.element.download_button.deferred_file_id:
            body, _ = await asyncio.to_thread(_get, f"{self.url}{found.element.download_button.url}", self.cookie, self.timeout_s)
            return body
        request_id = uuid.uuid4().hex
        await self._send(BackMsg(backend_operation_request=BackendOperationRequest(
            request_id=request_id, session_id=self.session_id,
            deferred_file=DeferredFileRequestPayload(file_id=found.element.download_button.deferred_file_id))))
        await self.until(lambda: request_id in self.responses)
        answer = self.responses.pop(request_id)
        if answer.error_msg:
            raise ProtocolError(f"the deferred file was refused: {answer.error_msg}")
        body, _ = await asyncio.to_thread(_get, f"{self.url}{answer.deferred_file.url}", self.cookie, self.timeout_s)
        return body

    async def _send(self, message: BackMsg) -> None:
        await self.socket.send(message.SerializeToString())  # type: ignore[union-attr]

    def _take(self, data: bytes | str) -> None:
        message = ForwardMsg()
        message.ParseFromString(data if isinstance(data, bytes) else data.encode())
        kind = message.WhichOneof("type")
        if kind == "new_session":
            new = message.new_session
            self.started += 1
            self.page.run_id, self.fragments_this_run = new.script_run_id, list(new.fragment_ids_this_run)
            self.page_hash, self.main_hash = new.page_script_hash, new.main_script_hash
            if new.initialize.session_id:
                self.session_id = new.initialize.session_id
        elif kind == "delta":
            self.page.apply(message.delta, list(message.metadata.delta_path), message.metadata.active_script_hash)
        elif kind == "script_finished" and message.script_finished in FINISHED:
            self.page.finish(self.fragments_this_run)
            shown = {f.widget_id for f in self.page.elements()}
            self.values = {k: v for k, v in self.values.items() if k in shown}
            self.finished = self.started
        elif kind == "navigation":
            self.pages = {page.page_name: page.page_script_hash for page in message.navigation.app_pages}
        elif kind == "backend_operation_response":
            self.responses[message.backend_operation_response.request_id] = message.backend_operation_response
        elif kind == "script_finished" and message.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
            raise ProtocolError("the script did not compile")
        elif kind == "page_not_found":
            raise ProtocolError(f"page not found: {message.page_not_found.page_name!r}")
        elif kind == "ref_hash":
            raise ProtocolError("the server sent a cached-message reference, though none was announced")
