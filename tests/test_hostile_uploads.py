"""Hostile uploads through every door (the service, the API, the page): disguised, empty, oversized and
path-traversal files are refused with a message, and nothing is stored — no row, no audit event, no new case
version, no file in the storage folder. A traversal name that does carry a good file is stored under the case's
own folder, never where the name points.

The basic refusals (a PDF named .docx, an ELF named .pdf, one size limit per door) are in test_case_services,
test_api_cases and test_views_cases; these cases add the disguises and names those do not try."""

import gzip
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case, Document
from cases.services import case_add_document
from cases.uploads import UploadRejected

from .factories import PDF_BYTES, make_case

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.sh", "#!/bin/sh\nrm -rf /\n")
    return buffer.getvalue()


# (file name, content, what the refusal says)
HOSTILE = [
    pytest.param("contract.pdf", b"<html><script>alert(1)</script></html>", "name ends in '.pdf'", id="html-as-pdf"),
    pytest.param("photo.pdf", PNG_BYTES, "content is PNG, but its name ends in '.pdf'", id="png-as-pdf"),
    pytest.param("contract.docx", plain_zip(), "Only PDF, PNG", id="zip-as-docx"),
    pytest.param("list.txt", gzip.compress(b"a,b\n"), "Only PDF, PNG", id="gzip-as-txt"),
    pytest.param("run.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 64, "Only PDF, PNG", id="elf-as-txt"),
    pytest.param("report.pdf.exe", PDF_BYTES, "name ends in '.exe'", id="double-extension"),
    pytest.param("report", PDF_BYTES, "name ends in '.(none)'", id="no-extension"),
    pytest.param("empty.pdf", b"", "empty", id="empty"),
]
# Names that say nothing once their path is taken off. ("..", "../" and "/" Django refuses to make into an upload at
# all; over HTTP they are tried raw below.)
NAMELESS = ["....", "..\\..\\", "\x00\x01", " . ", "\u202e"]


def storage_files(settings) -> list:
    return [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()] if settings.MEDIA_ROOT.exists() else []


def footprint(case: Case) -> tuple:
    """Everything a refused upload must leave as it was."""
    case.refresh_from_db()
    return Document.objects.count(), AuditEvent.objects.count(), case.version


@pytest.fixture
def draft(officer, settings):
    case = make_case(officer, with_certificate=False)
    assert storage_files(settings) == []
    return case


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE)
def test_service_refuses_hostile_files_and_stores_nothing(officer, draft, settings, name, content, message):
    before = footprint(draft)
    with pytest.raises(UploadRejected) as info:
        case_add_document(case=draft, actor=officer, doc_type="contract", upload=SimpleUploadedFile(name, content))
    assert message in str(info.value)
    assert footprint(draft) == before
    assert storage_files(settings) == []


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE)
def test_api_refuses_hostile_files_with_a_file_error_and_stores_nothing(
    officer, draft, settings, name, content, message
):
    client = APIClient()
    client.force_authenticate(officer)
    before = footprint(draft)
    response = client.post(
        f"/api/v1/cases/{draft.reference}/documents",
        {"doc_type": "contract", "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )
    assert response.status_code == 400
    (error,) = response.json()["errors"]["file"]
    assert message in error
    assert footprint(draft) == before
    assert storage_files(settings) == []


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE)
def test_page_refuses_hostile_files_beside_the_field_and_stores_nothing(
    officer, draft, settings, name, content, message
):
    client = Client()
    client.force_login(officer)
    before = footprint(draft)
    response = client.post(
        reverse("cases:upload", kwargs={"reference": draft.reference}),
        {"doc_type": "contract", "file": SimpleUploadedFile(name, content)},
    )
    assert response.status_code == 200
    (error,) = response.context["form"].errors["file"]
    assert message in error
    assert footprint(draft) == before
    assert storage_files(settings) == []


@pytest.mark.parametrize("name", NAMELESS)
def test_service_refuses_a_name_that_is_only_a_path(officer, draft, settings, name):
    before = footprint(draft)
    with pytest.raises(UploadRejected, match="no usable name"):
        case_add_document(case=draft, actor=officer, doc_type="contract", upload=SimpleUploadedFile(name, PDF_BYTES))
    assert footprint(draft) == before
    assert storage_files(settings) == []


def raw_multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body with the file name exactly as given: the test client would take the path off itself."""
    boundary = "licensa-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="doc_type"\r\n\r\ncontract\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize("name", ["..", "../", "/"])
def test_api_refuses_a_raw_file_name_that_is_only_a_path(officer, draft, settings, name):
    client = APIClient()
    client.force_authenticate(officer)
    before = footprint(draft)
    body, content_type = raw_multipart(name, PDF_BYTES)
    response = client.generic("POST", f"/api/v1/cases/{draft.reference}/documents", body, content_type)
    assert response.status_code == 400
    assert response.json()["errors"]["file"]
    assert footprint(draft) == before
    assert storage_files(settings) == []


@pytest.mark.parametrize(
    "name", ["../../../../tmp/licensa-escape.pdf", "..\\..\\..\\licensa-escape.pdf", "/etc/licensa-escape.pdf"]
)
def test_a_traversal_name_is_stored_inside_the_case_folder_under_its_last_part(officer, draft, settings, name):
    client = APIClient()
    client.force_authenticate(officer)
    body, content_type = raw_multipart(name, PDF_BYTES)
    response = client.generic("POST", f"/api/v1/cases/{draft.reference}/documents", body, content_type)
    assert response.status_code == 201, response.content
    document = Document.objects.get(case=draft)
    assert document.original_name == "licensa-escape.pdf"
    (stored,) = storage_files(settings)
    assert stored.resolve().is_relative_to((settings.MEDIA_ROOT / "cases" / str(draft.pk)).resolve())
    assert "escape" not in stored.name  # stored under a name of our own, never the client's


def test_an_oversized_file_is_refused_before_it_is_read_whole(officer, draft, settings):
    settings.DOCUMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * 4096)
    before = footprint(draft)
    with pytest.raises(UploadRejected, match="larger than"):
        case_add_document(case=draft, actor=officer, doc_type="contract", upload=big)
    assert big.tell() == 0  # refused on its declared size, no byte read
    assert footprint(draft) == before
    assert storage_files(settings) == []
