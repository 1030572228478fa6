"""What a file is, from its bytes: a name can lie (a web page saved as ``.pdf``, an ``.xls`` that is
really an ``.xlsx``), so the content decides the reader and the name only breaks a tie.

Formats: pdf, xlsx, docx, ofd, zip (an archive of other files), xls (Excel 97–2003 and WPS 表格
.et, both OLE2 workbooks), doc (Word 97–2003 and WPS 文字 .wps, OLE2 documents), image (PNG,
JPEG, TIFF, BMP, GIF: a scan or a photo), html, text.
"""

from __future__ import annotations

import io
import re
import zipfile

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpeg"), (b"II*\x00", "tiff"), (b"MM\x00*", "tiff"),
    (b"BM", "bmp"), (b"GIF87a", "gif"), (b"GIF89a", "gif"),
)
# the suffixes people give each format (the first is the format's own)
SUFFIXES = {
    "pdf": (".pdf",), "xlsx": (".xlsx", ".xlsm"), "docx": (".docx",), "ofd": (".ofd",), "zip": (".zip",),
    "xls": (".xls", ".et", ".ett"), "doc": (".doc", ".wps", ".wpt", ".dot"),
    "image": (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".gif"),
    "html": (".html", ".htm", ".mhtml"), "text": (".txt", ".md", ".tsv", ".csv", ".text"),
}
NAMES_ZH = {"pdf": "PDF", "xlsx": "Excel (.xlsx)", "docx": "Word (.docx)", "ofd": "OFD 版式文件", "zip": "压缩包",
            "xls": "Excel 97-2003 / WPS 表格", "doc": "Word 97-2003 / WPS 文字", "image": "图片", "html": "网页",
            "text": "文本"}
_HTML = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|meta|table|div)\b", re.I | re.S)


def suffix_format(suffix: str) -> str | None:
    suffix = suffix.lower()
    return next((fmt for fmt, sufs in SUFFIXES.items() if suffix in sufs), None)


def sniff(data: bytes) -> str | None:
    """The format the bytes are in, or None when they could be any text."""
    head = data[:2048]
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    if head.startswith(OLE2):
        return _ole_kind(data)
    for magic, _ in IMAGE_MAGIC:
        if head.startswith(magic):
            return "image"
    if _HTML.match(head):
        return "html"
    return None


def _zip_kind(data: bytes) -> str:
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except Exception:  # noqa: BLE001 - a damaged archive: the reader of its kind says what is wrong
        return "zip"
    lowered = [n.lower() for n in names[:2000]]
    if any(n.startswith("xl/") for n in lowered) and "[content_types].xml" in lowered:
        return "xlsx"
    if any(n.startswith("word/") for n in lowered) and "[content_types].xml" in lowered:
        return "docx"
    if "ofd.xml" in lowered:
        return "ofd"
    return "zip"


def _ole_kind(data: bytes) -> str:
    """An OLE2 compound file: a workbook (Workbook / Book stream) or a text document (WordDocument)."""
    try:
        import olefile

        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = {"/".join(p).lower() for p in ole.listdir(streams=True, storages=False)}
        ole.close()
    except Exception:  # noqa: BLE001 - a damaged compound file: decide by the stream names in its bytes
        streams = set()
        for name, key in (("Workbook", "workbook"), ("WordDocument", "worddocument"), ("EncryptedPackage",
                                                                                      "encryptedpackage")):
            if name.encode("utf-16-le") in data[:1 << 20]:
                streams.add(key)
    if "encryptedpackage" in streams or "encryptioninfo" in streams:
        return "encrypted"
    if "worddocument" in streams:
        return "doc"
    if "workbook" in streams or "book" in streams:
        return "xls"
    return "ole"
