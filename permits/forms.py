"""Browser forms for permits: the register's filters, a reason for a lifecycle action, and a shipment with one
pair of fields per permit line. They validate shape; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.models import Organisation
from cases.vocab import LicenceType

from .models import PermitStatus


def _destination_choices():
    return [("", _("Any destination")), *countries]


class RegisterFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, max_length=100, help_text=_("Permit number, end user or control code")
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *PermitStatus.choices]
    )
    organisation = forms.ModelChoiceField(
        label=_("Holder"), required=False, queryset=Organisation.objects.order_by("name"), empty_label=_("Any holder")
    )
    destination = forms.ChoiceField(label=_("Destination"), required=False, choices=_destination_choices)
    licence_type = forms.ChoiceField(
        label=_("Licence type"), required=False, choices=[("", _("Any type")), *LicenceType.choices]
    )
    valid_to_from = forms.DateField(
        label=_("Valid to, from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    valid_to_until = forms.DateField(
        label=_("Valid to, until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Officers see their own organisation's permits only: a holder filter would be a list of other exporters.
        if not user.reads_all_cases:
            del self.fields["organisation"]

    def selector_filters(self) -> dict:
        data = self.cleaned_data if self.is_bound else {}
        organisation = data.get("organisation")
        return {
            "search": data.get("q") or None,
            "status": data.get("status") or None,
            "organisation_id": organisation.pk if organisation else None,
            "destination": data.get("destination") or None,
            "licence_type": data.get("licence_type") or None,
            "valid_to_from": data.get("valid_to_from"),
            "valid_to_until": data.get("valid_to_until"),
        }


class ActionForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AmendForm(forms.Form):
    kind = forms.ChoiceField(choices=[("amendment", _("Amendment")), ("extension", _("Extension"))])


class ShipmentForm(forms.Form):
    """A shipment: its date and, for each permit line, the quantity and value shipped (blank: not shipped)."""

    shipped_on = forms.DateField(label=_("Shipped on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, balances, **kwargs):
        super().__init__(*args, **kwargs)
        self.balances = balances
        for balance in balances:
            item = balance.item
            self.fields[f"item_{item.pk}_quantity"] = forms.DecimalField(
                label=_("Quantity (%(unit)s)") % {"unit": item.quantity_unit or "-"}, required=False, min_value=0
            )
            self.fields[f"item_{item.pk}_value"] = forms.DecimalField(
                label=_("Value (%(currency)s)") % {"currency": item.value_currency}, required=False, min_value=0
            )

    def rows(self):
        return [(b, self[f"item_{b.item.pk}_quantity"], self[f"item_{b.item.pk}_value"]) for b in self.balances]

    def clean(self):
        data = super().clean()
        if not self.lines():
            raise forms.ValidationError(_("Enter the quantity and value shipped on at least one line."))
        return data

    def lines(self) -> list[dict]:
        """The lines for shipment_record, in the order the service reports errors by (lines[n])."""
        out = []
        for balance in self.balances:
            pk = balance.item.pk
            quantity = self.cleaned_data.get(f"item_{pk}_quantity")
            value = self.cleaned_data.get(f"item_{pk}_value")
            if quantity is None and value is None:
                continue
            out.append({"item": pk, "quantity": quantity if quantity is not None else 0, "value": value or 0})
        return out

    def attach(self, error) -> None:
        """Put the service's errors (keyed `lines[n].quantity`, `shipped_on`) beside the fields they are about."""
        if not hasattr(error, "error_dict"):
            for message in error.messages:
                self.add_error(None, message)
            return
        lines = self.lines()
        for key, messages in error.message_dict.items():
            field = None
            if key == "shipped_on":
                field = "shipped_on"
            elif key.startswith("lines[") and "]." in key:
                index, attr = key[len("lines[") :].split("].", 1)
                if index.isdigit() and int(index) < len(lines) and attr in ("quantity", "value"):
                    field = f"item_{lines[int(index)]['item']}_{attr}"
            for message in messages:
                self.add_error(field, message)
