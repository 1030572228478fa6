"""Zip archives (attachments and whole disclosure folders are downloaded as ``.zip``): each member is
read as a file of its own, named ``archive.zip!/folder/file.pdf``.

Nothing is inflated before it is checked: an archive with too many entries, a member larger than a
file may be, one that inflates a hundredfold past a few MB (a zip bomb), an archive inside the
archive, an encrypted member and a name that climbs out of its folder (``../``) are each refused
with a reason, and the other members are still read. Names written by Chinese Windows (GBK, no
UTF-8 flag) are read as such.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..records import ParseError
from .formats import sniff, suffix_format
from .text import MAX_BYTES

SEPARATOR = "!/"
MAX_ENTRIES = 10_000
MAX_TOTAL = 4 * 1024 ** 3  # bytes all members of one archive may inflate to
MAX_RATIO = 100  # a member inflating more than this many times its packed size …
RATIO_FLOOR = 8 * 1024 ** 2  # … and to more than this is a bomb


@dataclass
class Member:
    path: str  # archive.zip!/folder/file.pdf
    size: int


def is_member(path: str) -> bool:
    return SEPARATOR in str(path)


def split(path: str) -> tuple[str, str]:
    archive, _, name = str(path).partition(SEPARATOR)
    return archive, name


def _name(info: zipfile.ZipInfo) -> str:
    """The member's name as its author wrote it (GBK when the archive does not say UTF-8)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _unsafe(name: str) -> bool:
    p = PurePosixPath(name.replace("\\", "/"))
    return p.is_absolute() or ".." in p.parts or (len(name) > 1 and name[1] == ":")


def members(archive: str, data: bytes, supported) -> tuple[list[Member], list[tuple[str, str]], list[str]]:
    """(members to read, refused members with the reason, skipped members of other formats).

    :raises ParseError: the archive itself cannot be opened or has too many entries.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as e:
        raise ParseError(f"{archive}: 压缩包已损坏，无法打开（{e}）") from e
    if len(infos) > MAX_ENTRIES:
        raise ParseError(f"{archive}: 压缩包有 {len(infos):,} 个条目，超过上限 {MAX_ENTRIES:,}，未展开")
    out: list[Member] = []
    refused: list[tuple[str, str]] = []
    skipped: list[str] = []
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        name = _name(info)
        path = f"{archive}{SEPARATOR}{name}"
        base = PurePosixPath(name.replace("\\", "/")).name
        if base.startswith((".", "~$", "__MACOSX")) or name.startswith("__MACOSX/"):
            continue
        if _unsafe(name):
            refused.append((path, "压缩包内的文件路径不安全（含 ../ 或绝对路径），未读取"))
            continue
        if info.flag_bits & 0x1:
            refused.append((path, "压缩包内的文件已加密（有密码），未读取"))
            continue
        if suffix_format(PurePosixPath(base).suffix) == "zip":
            refused.append((path, "压缩包内的压缩包不展开：请先解压外层压缩包再导入"))
            continue
        if not supported(base):
            skipped.append(path)
            continue
        if info.file_size > MAX_BYTES:
            refused.append((path, f"解压后 {info.file_size:,} 字节，超过单个文件上限 {MAX_BYTES:,} 字节，未读取"))
            continue
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(1, info.compress_size):
            refused.append((path, f"压缩比异常（{info.compress_size:,} 字节解压为 {info.file_size:,} 字节，疑似压缩炸弹），未读取"))
            continue
        total += info.file_size
        if total > MAX_TOTAL:
            refused.append((path, "压缩包解压后的总大小超过上限，其余文件未读取"))
            continue
        out.append(Member(path, info.file_size))
    return out, refused, skipped


def read_member(path: str, opener=open) -> bytes:
    """A member's bytes, read no further than its declared size allows (a header may lie)."""
    archive, name = split(path)
    with opener(archive, "rb") as fh:
        try:
            zf = zipfile.ZipFile(fh)
            info = next((i for i in zf.infolist() if _name(i) == name), None)
            if info is None:
                raise ParseError(f"{path}: 压缩包中没有这个文件")
            limit = min(info.file_size, MAX_BYTES)
            with zf.open(info) as member:
                data = member.read(limit + 1)
        except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, ValueError, NotImplementedError) as e:
            raise ParseError(f"{path}: 压缩包中的这个文件已损坏，无法解压（{type(e).__name__}: {str(e)[:120]}）") from e
    if len(data) > limit:
        raise ParseError(f"{path}: 解压后超过声明的大小或上限 {MAX_BYTES:,} 字节（疑似压缩炸弹），未读取")
    if sniff(data) == "zip":
        raise ParseError(f"{path}: 压缩包内的压缩包不展开：请先解压外层压缩包再导入")
    return data
