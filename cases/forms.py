"""Browser forms for cases. They validate what a person typed (model validators included) and hand the services
the flat dicts of model field names those take; they never save anything themselves."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Case, Item, ItemContent, ItemElement, Party, PartyOwner
from .services import CONTENT_FIELDS, ELEMENT_FIELDS, HEADER_FIELDS, ITEM_FIELDS, OWNER_FIELDS, PARTY_FIELDS
from .vocab import DocumentType, EndUseCategory


def _helper(*rows) -> FormHelper:
    # Forms render inside one <form> element with several formsets: no tag and no CSRF field of their own.
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    if rows:
        helper.layout = Layout(*rows)
    return helper


def _row(*fields: str, widths: tuple[str, ...] | None = None) -> Row:
    widths = widths or tuple("col-md" for _ in fields)
    return Row(*(Column(Field(f), css_class=w) for f, w in zip(fields, widths, strict=True)))


class CaseHeaderForm(forms.ModelForm):
    """The case's own facts: licence, transaction, destination, date and end use."""

    end_use_categories = forms.MultipleChoiceField(
        label=_("End-use categories"),
        choices=EndUseCategory.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick every use the items will serve."),
    )

    class Meta:
        model = Case
        fields = HEADER_FIELDS
        widgets = {
            "decisive_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "end_use_description": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {
            "licence_type": _("Licence requested"),
            "transaction": _("Transaction"),
            "destination_country": _("Destination country"),
            "decisive_date": _("Intended export date"),
            "end_use_description": _("End use, in your words"),
            "authority_notified": _("An authority has told us the items may serve a controlled end use"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(
            _row("licence_type", "transaction"),
            _row("destination_country", "decisive_date"),
            "end_use_categories",
            "end_use_description",
            "authority_notified",
        )

    def service_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in HEADER_FIELDS}


class VersionForm(forms.Form):
    """The version of the case the page was built from, so a stale page cannot overwrite a newer one."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class RowFormSet(forms.BaseFormSet):
    """A formset whose rows know their place (`row_label`), for the error summary and the row headings."""

    row_name = _("Row")

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove")
            form.fields["DELETE"].widget.attrs["class"] = "form-check-input"

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.row_label = f"{self.row_name} {i + 1}"
        return form

    @property
    def empty_form(self):
        form = super().empty_form
        form.row_label = f"{self.row_name} __number__"
        return form

    def kept_forms(self) -> list[forms.Form]:
        """The rows to save, in page order: filled in and not marked for removal."""
        kept = []
        for form in self.forms:
            if not form.has_changed() and form.empty_permitted:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            kept.append(form)
        return kept


class ItemFormSetBase(RowFormSet):
    row_name = _("Line")


class PartyFormSetBase(RowFormSet):
    row_name = _("Party")


class ElementFormSetBase(RowFormSet):
    row_name = _("Element")


class ContentFormSetBase(RowFormSet):
    row_name = _("Content")


class OwnerFormSetBase(RowFormSet):
    row_name = _("Owner")


class ItemForm(forms.ModelForm):
    # The line this row was read from; its composition is carried over when the lines are saved.
    item_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Item
        fields = ITEM_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "kind": _("Kind"),
            "description": _("Description"),
            "control_code": _("Declared control code"),
            "hs_code": _("HS code"),
            "produced_in": _("Produced in"),
            "origin_country": _("Origin"),
            "technology_origin": _("Technology origin"),
            "quantity_amount": _("Quantity"),
            "quantity_unit": _("Unit"),
            "value_amount": _("Value"),
            "value_currency": _("Currency"),
            "deep_processed": _("Deep-processed product"),
            "technology_area": _("Technology area"),
            "public_domain": _("Public domain / basic research"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value_currency"].widget.attrs.update({"maxlength": 3, "autocapitalize": "characters"})
        self.helper = _helper(
            "item_id",
            _row("kind", "control_code", "hs_code", widths=("col-md-4", "col-md-4", "col-md-4")),
            "description",
            _row("produced_in", "origin_country", "technology_origin"),
            _row("quantity_amount", "quantity_unit", "value_amount", "value_currency"),
            _row("technology_area", "deep_processed", "public_domain"),
        )

    def clean_value_currency(self):
        return (self.cleaned_data.get("value_currency") or "").strip().upper()

    def service_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in ITEM_FIELDS}


class PartyForm(forms.ModelForm):
    party_id = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Party
        fields = PARTY_FIELDS
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}
        labels = {
            "role": _("Role"),
            "name": _("Name"),
            "address": _("Address"),
            "country": _("Country"),
            "category": _("Category"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("party_id", _row("role", "name"), "address", _row("country", "category"))

    def service_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in PARTY_FIELDS}


class ElementForm(forms.ModelForm):
    class Meta:
        model = ItemElement
        fields = ELEMENT_FIELDS
        labels = {"element": _("Element"), "form": _("Form"), "mass_fraction": _("Mass fraction (0 to 1)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_row(*ELEMENT_FIELDS))

    def service_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in ELEMENT_FIELDS}


class ContentForm(forms.ModelForm):
    class Meta:
        model = ItemContent
        fields = CONTENT_FIELDS
        labels = {
            "control_code": _("Control code"),
            "element": _("Element"),
            "form": _("Form"),
            "origin_country": _("Origin country"),
            "value_share": _("Share of the item's value (0 to 1)"),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_row(*CONTENT_FIELDS))

    def service_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in CONTENT_FIELDS}


class OwnerForm(forms.ModelForm):
    class Meta:
        model = PartyOwner
        fields = OWNER_FIELDS
        labels = {"name": _("Owner"), "country": _("Country"), "share": _("Share held (0 to 1)")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(_row(*OWNER_FIELDS))

    def service_data(self) -> dict:
        return {f: self.cleaned_data[f] for f in OWNER_FIELDS}


def _formset(form, base, extra=1):
    return forms.formset_factory(form, formset=base, extra=extra, can_delete=True, max_num=200, validate_max=True)


ItemFormSet = _formset(ItemForm, ItemFormSetBase)
PartyFormSet = _formset(PartyForm, PartyFormSetBase)
ElementFormSet = _formset(ElementForm, ElementFormSetBase)
ContentFormSet = _formset(ContentForm, ContentFormSetBase)
OwnerFormSet = _formset(OwnerForm, OwnerFormSetBase)


def with_extra(formset_class, extra: int):
    """The same formset with more blank rows: how a page without JavaScript gets room for another line."""
    return _formset(formset_class.form, formset_class, extra=extra)


class DocumentForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG, JPEG, TIFF, DOCX, XLSX or plain text."),
        allow_empty_file=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("doc_type", "file")


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Recorded in the case's audit trail."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("reason")


def error_summary(*, forms=(), formsets=()) -> list[dict]:
    """Every error on a page, each with a link to its field, for the summary at the top of the form."""
    entries: list[dict] = []
    for formset in formsets:
        for message in formset.non_form_errors():
            entries.append({"label": str(formset.row_name), "message": message, "anchor": ""})
    for form in forms:
        if not form.is_bound or getattr(form, "cleaned_data", {}).get("DELETE"):
            continue
        row = getattr(form, "row_label", "")
        for name, messages in form.errors.items():
            field = form.fields.get(name)
            label = str(field.label) if field is not None and field.label else ""
            anchor = form[name].id_for_label if field is not None and not field.widget.is_hidden else ""
            for message in messages:
                entries.append({"label": ": ".join(p for p in (row, label) if p), "message": message, "anchor": anchor})
    return entries
