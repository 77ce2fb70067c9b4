"""The interface in the reader's language: money and dates in their locale's form."""

import gettext
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts.roles import Role
from accounts.services import user_set_language
from cases.templatetags.licensa import money_text

from .factories import PASSWORD, make_case, make_user
from .permit_helpers import approve, issue, load_rules, screened_case


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load licensa %}" + source).render(Context(context))


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("en", Decimal("12345.5"), "USD", "$12,345.50"),
        # Chinese readers see the dollar marked as the US one; their own yuan is the plain ¥.
        ("zh-hans", Decimal("12345.5"), "USD", "US$12,345.50"),
        ("zh-hans", Decimal("12345.5"), "CNY", "¥12,345.50"),
        ("en", Decimal("12345.5"), "CNY", "CN¥12,345.50"),
        # Places beyond the currency's usual ones are what the permit says: shown, not rounded away.
        ("en", Decimal("0.005"), "JPY", "¥0.005"),
        ("en", Decimal("42000.00"), "usd", "$42,000.00"),
        ("en", Decimal("-3"), "EUR", "-€3.00"),
        # An amount without a currency is still grouped as the locale groups digits.
        ("en", Decimal("1000"), "", "1,000"),
    ],
)
def test_money_formats_an_amount_with_its_currency_for_the_locale(language, amount, currency, expected):
    assert money_text(amount, currency, language) == expected
    assert render("{{ amount|money:currency }}", language, amount=amount, currency=currency) == expected


def test_money_leaves_an_empty_amount_empty_and_never_goes_through_float():
    assert render("{{ amount|money:'USD' }}", "en", amount=None) == ""
    # Seventeen significant digits: a float would have lost the last cent.
    assert money_text(Decimal("123456789012345.67"), "USD", "en") == "$123,456,789,012,345.67"
    assert money_text("2500.50", "USD", "en") == "$2,500.50"


@pytest.mark.parametrize(("language", "expected"), [("en", "Dec. 31, 2026"), ("zh-hans", "2026年12月31日")])
def test_a_date_is_shown_in_the_locales_form(language, expected):
    assert render('{{ day|date:"DATE_FORMAT" }}', language, day=date(2026, 12, 31)) == expected


# --- the language switch ------------------------------------------------------------------------------------------


def test_the_switch_sets_the_cookie_and_a_signed_in_persons_preference(officer):
    client = Client()
    client.force_login(officer)
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("dashboard:officer")})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:officer")
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "zh-hans" and int(cookie["max-age"]) == settings.LANGUAGE_COOKIE_AGE
    officer.refresh_from_db()
    assert officer.language == "zh-hans"
    # The next page is in the chosen language, whatever the browser asks for.
    page = client.get(reverse("dashboard:officer"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="zh-hans">' in page


def test_the_preference_follows_the_person_to_another_browser(officer):
    first = Client()
    first.force_login(officer)
    first.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    elsewhere = Client()
    response = elsewhere.post(reverse("login"), {"username": "officer", "password": PASSWORD})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_a_language_not_offered_changes_nothing(officer):
    client = Client()
    client.force_login(officer)
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302 and settings.LANGUAGE_COOKIE_NAME not in response.cookies
    officer.refresh_from_db()
    assert officer.language == ""
    with pytest.raises(ValidationError):
        user_set_language(user=officer, language="fr")


def test_a_visitor_may_switch_before_signing_in_and_a_redirect_elsewhere_is_refused(db):
    client = Client()
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "https://evil.example/"})
    # Django's own check: only the site's own pages as the way back.
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    assert client.get(reverse("set_language")).status_code == 405


@pytest.mark.parametrize("template", ["500.html", "503.html", "request_refused.html"])
def test_the_standalone_pages_name_the_language_they_are_written_in(template):
    with translation.override("zh-hans"):
        page = render_to_string(template, {"title": "", "message": ""})
    assert '<html lang="zh-hans">' in page


def test_the_footer_offers_each_language_in_its_own_name(db):
    page = Client().get(reverse("login")).content.decode()
    assert f'action="{reverse("set_language")}"' in page
    assert '<option value="en" lang="en" selected>English</option>' in page
    assert '<option value="zh-hans" lang="zh-hans">简体中文</option>' in page


# --- the Chinese catalogue ---------------------------------------------------------------------------------------

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def po_catalogue() -> dict:
    """The translations of the .po, keyed as Python's gettext keys a compiled catalogue (plural forms by index)."""
    with open(CATALOGUE / "django.po", "rb") as f:
        po = read_po(f)
    assert po.locale and str(po.locale) == "zh_Hans" and po.num_plurals == 1
    found = {}
    for message in po:
        if not message.id or message.fuzzy or not any(message.string):
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if message.context:
            key = f"{message.context}\x04{key}"
        if isinstance(message.id, str):
            found[key] = message.string
        else:
            found.update({(key, n): text for n, text in enumerate(message.string)})
    return found


def test_the_committed_mo_is_the_po_compiled():
    # `make run` needs no gettext, so the .mo is committed beside the .po; a .po edited without compiling it again
    # (msgfmt -o django.mo django.po) would otherwise go out silently in English or in yesterday's wording.
    with open(CATALOGUE / "django.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)
    mo = {key: text for key, text in compiled._catalog.items() if key != ""}
    po = po_catalogue()
    assert sorted(set(po) - set(mo), key=str) == [], "translated in the .po but not in the .mo: compile it again"
    assert sorted(set(mo) - set(po), key=str) == [], "in the .mo but no longer in the .po: compile it again"
    assert [key for key in po if po[key] != mo[key]] == [], "the .mo says otherwise than the .po: compile it again"
    assert compiled.info()["plural-forms"] == "nplurals=1; plural=0;"


def test_every_translation_keeps_the_placeholders_of_its_english():
    with open(CATALOGUE / "django.po", "rb") as f:
        po = read_po(f)
    wrong = []
    for message in po:
        if not message.id or not any(message.string):
            continue
        english = message.id if isinstance(message.id, str) else message.id[-1]
        for text in [message.string] if isinstance(message.string, str) else message.string:
            if sorted(PLACEHOLDER.findall(english)) != sorted(PLACEHOLDER.findall(text)):
                wrong.append((english, text))
    assert wrong == []


def test_the_login_page_is_in_chinese_for_a_browser_that_asks_for_it(db):
    page = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-Hans,zh;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="zh-hans">' in page
    assert "<title>登录 · Licensa</title>" in page and "忘记密码？" in page and "切换语言" in page
    assert "Forgotten your password?" not in page
    # And in English for one that does not.
    page = Client().get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert "Forgotten your password?" in page and "忘记密码" not in page


def test_the_officers_dashboard_after_switching_to_chinese(officer):
    make_case(officer, with_certificate=False)
    client = Client()
    client.force_login(officer)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("dashboard:officer")).content.decode()
    for chinese in ("工作台", "新建案件", "我方案件（按状态）", "等待您处理", "草稿", "有效的许可证", "退出登录"):
        assert chinese in page, chinese
    for english in ("Our cases by status", "Waiting for you", "Permits in force", "Sign out"):
        assert english not in page, english


def test_a_case_page_in_chinese_shows_the_value_with_its_currency_the_chinese_way(officer):
    case = make_case(officer, with_certificate=False)
    client = Client()
    client.force_login(officer)
    page = client.get(
        reverse("cases:detail", kwargs={"reference": case.reference}), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "US$42,000.00" in page and "物项行" in page and "最终用户" in page
    # Country names from django-countries' own catalogue; the completeness check's messages from ours.
    assert "德国" in page and "Germany" not in page
    assert "请上传最终用户和最终用途证明。" in page
    assert "$42,000.00" in client.get(reverse("cases:detail", kwargs={"reference": case.reference})).content.decode()


# --- CSV stays the same file whoever downloads it ----------------------------------------------------------------


def test_the_case_export_is_the_same_file_in_any_language(officer):
    make_case(officer, with_certificate=False)
    client = Client()
    client.force_login(officer)

    def export(language: str) -> bytes:
        response = client.get(reverse("search:export"), HTTP_ACCEPT_LANGUAGE=language)
        return b"".join(response.streaming_content)

    english = export("en")
    assert english.startswith(b"Reference,Status,Organisation,Destination,Licence type,")
    assert b",Draft," in english and b"Single licence" in english
    assert export("zh-hans") == english
    # The page the export came from is in Chinese all the same.
    assert "导出 CSV" in client.get(reverse("cases:list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


def test_a_report_csv_is_the_same_file_in_any_language(senior_reviewer):
    client = Client()
    client.force_login(senior_reviewer)
    url = reverse("reports:csv", kwargs={"table": "information-requests"})
    period = {"start": "2025-06-01", "end": "2025-06-30"}
    english = client.get(url, period, HTTP_ACCEPT_LANGUAGE="en").content
    assert english.startswith(b"Week of decision,Decided,With a request for information,Rate (%)")
    assert client.get(url, period, HTTP_ACCEPT_LANGUAGE="zh-hans").content == english


# --- permits: the page in the reader's language, the certificate in one wording ---------------------------------


def test_the_permit_page_in_chinese_and_its_certificate_as_issued(
    officer, reviewer, django_capture_on_commit_callbacks
):
    from pypdf import PdfReader

    load_rules()
    permit = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    client = Client()
    client.force_login(officer)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    page = client.get(reverse("permits:detail", kwargs={"number": permit.number})).content.decode()
    assert "各行及余额" in page and "价值限额" in page and "登记出运" in page
    # Amounts with their currency and dates the Chinese way; the ISO date stays in the markup for machines.
    assert "US$10,000.00" in page and "US$2,500.50" in page
    # The holder's action on the permit, and the system's steps in the case's timeline.
    assert ">交回</button>" in page
    case_page = client.get(reverse("cases:detail", kwargs={"reference": permit.case.reference})).content.decode()
    assert "<strong>系统</strong> · 存储了筛查的判定结果" in case_page
    assert '<time datetime="2026-01-01">2026年1月1日</time>' in page
    certificate = client.get(reverse("permits:certificate", kwargs={"number": permit.number}))
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(certificate.content)).pages)
    assert "Export permit" in text and "Verification code" in text and "2026-01-01" in text
    assert "Valid" in text and "有效期" not in text


def test_a_refused_shipment_and_amendment_say_why_in_chinese(officer, reviewer, django_capture_on_commit_callbacks):
    """The services' refusals are messages of the catalogue too: a reader who chose Chinese reads them in Chinese,
    with the permit's own figures in place."""
    load_rules()
    permit = issue(screened_case(officer, django_capture_on_commit_callbacks), reviewer)
    client = Client()
    client.force_login(officer)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    line = permit.items.order_by("position").first()
    response = client.post(
        reverse("permits:shipment-new", kwargs={"number": permit.number}),
        {"shipped_on": "2030-01-01", f"item_{line.pk}_quantity": "1000", f"item_{line.pk}_value": "1.00"},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "该许可证的有效期为 2026-01-01 至" in page
    assert "超出剩余额度：限额 100，尚余 100 kg。" in page
    client.post(reverse("permits:amend", kwargs={"number": permit.number}), {"kind": "amendment"})
    again = client.post(reverse("permits:amend", kwargs={"number": permit.number}), {"kind": "extension"}, follow=True)
    assert f"许可证 {permit.number} 已有正在办理的变更或延期。" in again.content.decode()


# --- e-mails in the reader's language ----------------------------------------------------------------------------


def test_each_officer_reads_the_decision_in_their_own_language(
    officer, org, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    colleague = make_user(Role.OFFICER, organisation=org, username="colleague")
    user_set_language(user=officer, language="zh-hans")
    load_rules()
    case = screened_case(officer, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    # The reviewer works in Chinese; what each officer reads depends on the officer, not on the reviewer.
    user_set_language(user=reviewer, language="zh-hans")
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        approve(case, reviewer)
    by_address = {message.to[0]: message for message in mailoutbox}
    assert by_address[officer.email].subject == f"案件 {case.reference} 已获批准"
    assert f"许可主管部门已批准您的案件 {case.reference}。" in by_address[officer.email].body
    assert by_address[colleague.email].subject == f"Case {case.reference} has been approved"
