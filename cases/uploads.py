"""Checks on uploaded documents: size, and a content type read from the bytes, never from the name."""

import hashlib
import os
import unicodedata
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

# What an applicant may upload, by the type the content itself shows.
EXTENSION_BY_TYPE = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/tiff": "tif",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "text/plain": "txt",
}
# The extension a name may carry for each type; a PDF named .docx is refused as disguised.
NAME_EXTENSIONS = {
    "application/pdf": {"pdf"},
    "image/png": {"png"},
    "image/jpeg": {"jpg", "jpeg"},
    "image/tiff": {"tif", "tiff"},
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"docx"},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"xlsx"},
    "text/plain": {"txt", "csv"},
}


class UploadRejected(ValueError):
    pass


@dataclass(frozen=True)
class CheckedUpload:
    original_name: str
    content_type: str
    size: int
    sha256: str


def clean_filename(name: str) -> str:
    """The last path component, without control characters: what we show, never what we store under."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").split("/")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return name[:255]


def _sniff(head: bytes) -> str | None:
    kind = filetype.guess(head)
    if kind is not None:
        mime = kind.mime
        if mime == "application/zip" or mime.startswith("application/vnd.openxmlformats"):
            # DOCX and XLSX are zip files; filetype looks inside for the part that tells them apart.
            return mime if mime in EXTENSION_BY_TYPE else None
        return mime
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in text:
        return None
    return "text/plain"


def check_upload(upload: UploadedFile) -> CheckedUpload:
    name = clean_filename(upload.name)
    if not name:
        raise UploadRejected("The file has no usable name.")
    size = upload.size or 0
    if size == 0:
        raise UploadRejected("The file is empty.")
    if size > settings.DOCUMENT_MAX_BYTES:
        limit_mb = settings.DOCUMENT_MAX_BYTES / (1024 * 1024)
        raise UploadRejected(f"The file is larger than the {limit_mb:g} MB limit.")
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    content_type = _sniff(head)
    if content_type not in EXTENSION_BY_TYPE:
        raise UploadRejected("Only PDF, PNG, JPEG, TIFF, DOCX, XLSX and plain-text files are accepted.")
    extension = os.path.splitext(name)[1].lower().lstrip(".")
    if extension not in NAME_EXTENSIONS[content_type]:
        raise UploadRejected(
            f"The file's content is {EXTENSION_BY_TYPE[content_type].upper()}, but its name ends in "
            f"'.{extension or '(none)'}'. Rename it or upload the right file."
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedUpload(original_name=name, content_type=content_type, size=size, sha256=digest.hexdigest())
