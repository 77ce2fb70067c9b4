"""The request-size cap ahead of Django (config.middleware.RequestSizeLimitMiddleware): a body declared larger than
MAX_REQUEST_BYTES answers 413 before a byte of it is read, a chunked body without a length answers 411, and
uploads within the cap are handled as before."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case, Document
from rfis.services import MAX_ATTACHMENTS

from .factories import PDF_BYTES, make_case

pytestmark = pytest.mark.django_db

GIGABYTE = 1024 * 1024 * 1024


class UnreadBody(io.RawIOBase):
    """A request body that records whether anything tried to read it."""

    def __init__(self):
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size=-1) -> bytes:
        self.reads += 1
        return b""

    def readline(self, size=-1) -> bytes:
        self.reads += 1
        return b""


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def upload_page(case: Case) -> str:
    return reverse("cases:upload", kwargs={"reference": case.reference})


def upload_api(case: Case) -> str:
    return reverse("api-case-documents", kwargs={"reference": case.reference})


def stored_files(settings) -> list:
    return [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()] if settings.MEDIA_ROOT.exists() else []


def state(case: Case) -> tuple:
    fresh = Case.objects.get(pk=case.pk)
    return fresh.version, Document.objects.filter(case=case).count(), AuditEvent.objects.count()


def declared(client, path: str, length: int, body: UnreadBody):
    """A multipart POST that declares `length` bytes and whose body fails nothing but records any read."""
    return client.generic(
        "POST",
        path,
        content_type="multipart/form-data; boundary=licensa",
        CONTENT_TYPE="multipart/form-data; boundary=licensa",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": body},
    )


def refusal(response) -> str:
    """The message of a refusal: the JSON body's detail on the API, the page's text elsewhere."""
    if response["Content-Type"] == "application/json":
        return response.json()["detail"]
    assert response["Content-Type"].startswith("text/html")
    return response.text


# The two doors an officer uploads through: the case's upload page and the API's documents endpoint.
DOORS = [pytest.param(page_client, upload_page, id="page"), pytest.param(api_client, upload_api, id="api")]


@pytest.mark.parametrize(("client_for", "path_for"), DOORS)
def test_an_upload_declaring_two_gigabytes_is_refused_before_its_body_is_read(officer, settings, client_for, path_for):
    case = make_case(officer, with_certificate=False)
    before = state(case)
    body = UnreadBody()
    response = declared(client_for(officer), path_for(case), 2 * GIGABYTE, body)
    assert response.status_code == 413
    assert (
        "The request is 2,048 MB, more than the 101 MB this service accepts at once. "
        "Each document may be at most 10 MB; send fewer or smaller files."
    ) in refusal(response)
    assert body.reads == 0, "the body was read before the refusal"
    assert state(case) == before
    assert not stored_files(settings)


def test_the_refusal_page_stands_alone_with_a_title(officer):
    response = declared(page_client(officer), upload_page(make_case(officer)), 2 * GIGABYTE, UnreadBody())
    assert "<title>Request too large · Licensa</title>" in response.text
    assert response.context is None or "user" not in response.context  # rendered without the request


def test_a_refusal_is_in_the_senders_language_not_in_that_of_the_threads_last_request(officer, settings):
    """The cap runs before LocaleMiddleware, and a request leaves its language active in the thread that served it:
    the refusal must still be in the language its own sender asked for."""
    case = make_case(officer)
    try:
        assert Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(reverse("login")).status_code == 200
        english = declared(page_client(officer), upload_page(case), 2 * GIGABYTE, UnreadBody())
        assert '<html lang="en">' in english.text
        assert "<title>Request too large · Licensa</title>" in english.text
        chinese_client = page_client(officer)
        chinese_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
        chinese = declared(chinese_client, upload_page(case), 2 * GIGABYTE, UnreadBody())
        assert '<html lang="zh-hans">' in chinese.text
        assert "<title>请求过大 · Licensa</title>" in chinese.text
    finally:
        translation.deactivate()


def test_a_real_body_over_the_cap_is_refused_and_one_under_it_is_taken(officer, settings):
    """Measured on the bytes a browser sends: the file plus the form's fields and the multipart framing."""
    settings.MAX_REQUEST_BYTES = 64 * 1024
    case = make_case(officer, with_certificate=False)
    before = state(case)
    big = PDF_BYTES + b"%" * (80 * 1024)
    response = page_client(officer).post(
        upload_page(case), {"doc_type": "contract", "file": SimpleUploadedFile("big.pdf", big)}
    )
    assert response.status_code == 413
    response = api_client(officer).post(
        upload_api(case), {"doc_type": "contract", "file": SimpleUploadedFile("big.pdf", big)}, format="multipart"
    )
    assert response.status_code == 413 and "detail" in response.json()
    assert state(case) == before
    assert not stored_files(settings)

    response = page_client(officer).post(
        upload_page(case), {"doc_type": "contract", "file": SimpleUploadedFile("small.pdf", PDF_BYTES)}
    )
    assert response.status_code == 302
    assert Document.objects.filter(case=case, original_name="small.pdf").exists()


def test_uploads_within_the_default_cap_work_as_before(officer, settings):
    case = make_case(officer, with_certificate=False)
    response = page_client(officer).post(
        upload_page(case), {"doc_type": "contract", "file": SimpleUploadedFile("contract.pdf", PDF_BYTES)}
    )
    assert response.status_code == 302
    response = api_client(officer).post(
        upload_api(case),
        {"doc_type": "end_user_certificate", "file": SimpleUploadedFile("euc.pdf", PDF_BYTES)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    assert Document.objects.filter(case=case).count() == 2
    assert len(stored_files(settings)) == 2


def test_the_default_cap_takes_an_answer_with_its_most_documents_of_the_largest_size(settings):
    assert settings.MAX_REQUEST_BYTES > MAX_ATTACHMENTS * settings.DOCUMENT_MAX_BYTES


@pytest.mark.parametrize(("client_for", "path_for"), DOORS)
def test_a_chunked_body_without_a_length_is_refused_with_411(officer, settings, client_for, path_for):
    """Django under WSGI reads a body without Content-Length as empty; the sender is told to send a length."""
    case = make_case(officer, with_certificate=False)
    before = state(case)
    body = UnreadBody()
    response = client_for(officer).generic(
        "POST",
        path_for(case),
        CONTENT_TYPE="multipart/form-data; boundary=licensa",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body},
    )
    assert response.status_code == 411
    assert "Send the request with a Content-Length header" in refusal(response)
    assert body.reads == 0
    assert state(case) == before


def test_requests_without_a_body_pass(officer):
    assert page_client(officer).get(reverse("cases:list")).status_code == 200
    assert api_client(officer).get(reverse("api-case-list")).status_code == 200
