"""What a visitor uploads cannot hurt the server.

- The body is read as it arrives and refused (413) as soon as it passes the limit: it is never held
  whole first (``read_body``).
- An uploaded file is read in a separate process, one per server worker, with bounded memory and
  time (:class:`DraftReader`): uploads queue instead of piling up, and a file that would take
  gigabytes or minutes fails there with a reason while the server goes on answering.
- Archives are checked for their inflated size and entry count before anything is inflated
  (``ingest.readers.safety``, the same guards ``kb build`` has).
"""

from __future__ import annotations

import asyncio
import os
import threading
import urllib.parse

from .errors import UploadRefused

MAX_BODY = 10 << 20  # bytes of one draft: the pasted text and the file together
DRAIN = 64 << 20  # bytes past the limit read and dropped before answering
MEMORY_MB = int(os.environ.get("KB_UPLOAD_MEMORY_MB", "512"))  # address space of the reading process
SECONDS = float(os.environ.get("KB_UPLOAD_SECONDS", "10"))  # time to read one file
QUEUE = int(os.environ.get("KB_UPLOAD_QUEUE", "8"))  # files waiting in one server worker at most


async def read_body(request, limit: int = MAX_BODY) -> bytes:
    """The request body, read as it streams in; :class:`UploadRefused` once it passes ``limit``
    bytes. What comes after the limit is read and dropped (up to ``DRAIN`` bytes more), so a
    browser still uploading gets the page that says why instead of a broken connection; a body
    declared larger than that is refused at once."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + DRAIN:
        raise UploadRefused(_too_large(int(declared), limit))
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise UploadRefused("上传未完成（连接已断开）")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            chunks.clear()  # nothing past the limit is kept
            while message.get("more_body") and size <= limit + DRAIN:
                message = await request.receive()
                size += len(message.get("body", b""))
            raise UploadRefused(_too_large(size, limit, partial=bool(message.get("more_body"))))
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _too_large(size: int, limit: int, partial: bool = False) -> str:
    got = f"已超过 {size / 1048576:.1f} MB" if partial else f"共 {size / 1048576:.1f} MB"
    return f"文件太大（{got}，最多 {limit >> 20} MB）：请只上传一张申报表，或粘贴其中的文字"


def form_fields(body: bytes, content_type: str) -> tuple[str | None, bytes | None, str | None]:
    """The pasted ``text``, the uploaded ``file`` and its name, from a form (urlencoded or
    multipart) or a JSON object ``{"text": …}``."""
    if content_type.startswith("multipart/form-data"):
        from email.parser import BytesParser
        from email.policy import HTTP

        msg = BytesParser(policy=HTTP).parsebytes(b"content-type: " + content_type.encode("latin-1") + b"\r\n\r\n"
                                                  + body)
        text = data = filename = None
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if name == "text":  # browsers send form fields as UTF-8 without saying so
                text = (part.get_payload(decode=True) or b"").decode(part.get_content_charset() or "utf-8", "replace")
            elif name == "file":
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                if filename and payload:
                    data = payload
        return text, data, filename
    if content_type.startswith("application/json"):
        import json

        try:
            value = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise UploadRefused(f"请求体不是有效的 JSON（{e}）") from None
        if not isinstance(value, dict) or not isinstance(value.get("text", ""), str):
            raise UploadRefused('请求体应为 JSON 对象 {"text": "草稿文字"}') from None
        unknown = sorted(set(value) - {"text"})
        if unknown:
            raise UploadRefused(f"未知的字段：{'、'.join(unknown)}；可用的字段：text") from None
        return value.get("text"), None, None
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return (form.get("text") or [None])[0], None, None


# ------------------------------------------------------------------ the reading process


def _start_worker(memory_mb: int, seconds: float) -> None:
    """In the reading process: bounded memory and CPU time, lower priority than the server."""
    from ..readers.safety import limit_process

    limit_process(memory_mb << 20)
    try:
        os.nice(5)
    except OSError:
        pass
    os.environ["KB_UPLOAD_SECONDS"] = str(seconds)


def _read(text: str | None, data: bytes | None, filename: str | None):
    """In the reading process: the draft, or ``("error", status, reason)``. A clock stops a reader
    that runs past its time wherever Python code runs; the server kills the process if C code keeps it."""
    import signal

    from ..readers.safety import TooLarge
    from ..records import ParseError

    def stop(signum, frame):
        raise TimeoutError

    signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, float(os.environ.get("KB_UPLOAD_SECONDS", SECONDS)))
    try:
        from ..query.similarity.drafts import read_draft

        return read_draft(text=text, data=data, filename=filename)
    except (ParseError, ValueError, OSError, UnicodeError) as e:
        if isinstance(e.__cause__, MemoryError):  # a reader reports what stopped it as a ParseError
            return ("error", 413, TOO_COMPLEX)
        if isinstance(e.__cause__, TimeoutError):
            return ("error", 413, TOO_SLOW.format(seconds=SECONDS))
        reason = str(e)
        if filename and reason.startswith(filename + ": "):
            reason = reason[len(filename) + 2:]
        refused = isinstance(e, TooLarge) or isinstance(e.__cause__, TooLarge)
        return ("error", 413 if refused else 422, f"无法读取该文件：{reason}")
    except MemoryError:
        return ("error", 413, TOO_COMPLEX)
    except TimeoutError:
        return ("error", 413, TOO_SLOW.format(seconds=SECONDS))
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


TOO_COMPLEX = f"文件太大或太复杂：读取它需要的内存超过 {MEMORY_MB} MB 的上限，未读取"
TOO_SLOW = "文件读取超过 {seconds:g} 秒的时间上限，未读取（文件可能太大或太复杂）"


class DraftReader:
    """A pool of one process that reads uploaded drafts, started on the first upload."""

    def __init__(self, workers: int = 1, memory_mb: int = MEMORY_MB, seconds: float = SECONDS):
        self.workers, self.memory_mb, self.seconds = workers, memory_mb, seconds
        self._pool = None
        self._lock = threading.Lock()
        self._turns: asyncio.Semaphore | None = None
        self.waiting = 0

    def _get_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with self._lock:
            if self._pool is None:
                # spawn: a fresh interpreter, never a fork of a server holding threads and the model
                self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_start_worker, initargs=(self.memory_mb, self.seconds))
            return self._pool

    def _restart(self, pool) -> None:
        """Kill the pool's processes (one is stuck past its time) and start afresh on the next upload."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        for p in list(getattr(pool, "_processes", {}).values()):
            try:
                p.kill()
            except OSError:
                pass
        pool.shutdown(wait=False, cancel_futures=True)

    async def read(self, text: str | None, data: bytes | None, filename: str | None):
        """The draft read in the pool; :class:`UploadRefused` with the reason if it cannot be.
        Files wait their turn here (at most ``QUEUE`` of them), so each one's time counts from
        when its reading starts."""
        from concurrent.futures.process import BrokenProcessPool

        if self._turns is None:
            self._turns = asyncio.Semaphore(self.workers)
        if self.waiting >= QUEUE:
            raise UploadRefused("正在读取其他上传的文件，请稍后再试")
        self.waiting += 1
        try:
            async with self._turns:
                pool = self._get_pool()
                future = pool.submit(_read, text, data, filename)
                try:
                    # the reader stops itself at its time; past it and a few seconds more (a
                    # process busy in C code), it is killed
                    result = await asyncio.wait_for(asyncio.wrap_future(future), timeout=self.seconds + 5)
                except asyncio.TimeoutError:
                    self._restart(pool)
                    raise UploadRefused(TOO_SLOW.format(seconds=self.seconds)) from None
                except BrokenProcessPool:
                    self._restart(pool)
                    raise UploadRefused("读取文件的进程因文件太大或太复杂而停止，未读取") from None
                except MemoryError:  # out of memory sending its answer back: start a fresh process
                    self._restart(pool)
                    raise UploadRefused(TOO_COMPLEX) from None
                if isinstance(result, tuple) and result[1] == 413:
                    self._restart(pool)  # what the refused file took is given back at once
        finally:
            self.waiting -= 1
        if isinstance(result, tuple) and result and result[0] == "error":
            raise UploadRefused(result[2], status=result[1])
        return result

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
