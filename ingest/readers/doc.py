"""Word 97–2003 (.doc) and WPS 文字 (.wps) documents: converted to .docx by LibreOffice in headless
mode (the most faithful route: tables stay tables, merged cells stay merged), then read as .docx.

LibreOffice is a system program (Debian: ``apt-get install libreoffice-writer-nogui``); without it a
file is recorded with a message saying what to install. Each conversion runs in its own profile
folder, so worker processes convert side by side, and is stopped after ``TIMEOUT`` seconds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from ..records import ParseError

TIMEOUT = 120
INSTALL = "需要安装 LibreOffice 才能读取 .doc/.wps 文件（Debian/Ubuntu：apt-get install libreoffice-writer-nogui）"


def office() -> str | None:
    """The LibreOffice program, or None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for path in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice",
                 "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        if os.path.exists(path):
            return path
    return None


def convert(data: bytes, suffix: str, target: str) -> bytes:
    """The file converted by LibreOffice to ``target`` (docx, xlsx, pdf …)."""
    exe = office()
    if exe is None:
        raise ParseError(INSTALL)
    with tempfile.TemporaryDirectory(prefix="kb-office-") as tmp:
        src = Path(tmp) / f"input{suffix}"
        src.write_bytes(data)
        profile = Path(tmp) / "profile"
        cmd = [exe, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore", "--nolockcheck",
               "--convert-to", target, "--outdir", str(Path(tmp) / "out"), str(src)]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT, env={**os.environ, "HOME": tmp})
        except subprocess.TimeoutExpired as e:
            raise ParseError(f"LibreOffice 转换超过 {TIMEOUT} 秒未完成（文件可能已损坏）") from e
        out = Path(tmp) / "out" / f"input.{target.split(':')[0]}"
        if not out.exists():
            detail = (proc.stderr or proc.stdout or b"").decode("utf-8", "replace").strip()[-200:]
            raise ParseError(f"LibreOffice 无法转换此文件（文件可能已损坏或加密）{('：' + detail) if detail else ''}")
        return out.read_bytes()


def read_doc(data: bytes, suffix: str = ".doc"):
    from .docx import read_docx

    doc = read_docx(convert(data, suffix, "docx"))
    doc.reader = f"{suffix.lstrip('.')}→docx（LibreOffice）"
    return doc
