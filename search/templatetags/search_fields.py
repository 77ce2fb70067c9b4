"""The case list's filter fields, written in Python.

crispy-forms renders each field through a large template; for the ten filters of the case list that was about
40 % of the page's CPU, on the page people open most. `filter_field` writes what crispy's bootstrap5 field writes
for these simple fields: the wrapper, the label, the widget with Bootstrap's class, the help text and the errors,
with the same ids and aria attributes (tests/test_search_fields.py compares the two)."""

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def filter_field(bound: BoundField) -> SafeString:
    widget = bound.field.widget
    kind = "form-select" if isinstance(widget, forms.Select) else "form-control"
    classes = [widget.__class__.__name__.lower(), kind]
    attrs: dict[str, str] = {}
    described = [f"{bound.auto_id}_helptext"] if bound.help_text else []
    if bound.errors:
        classes.append("is-invalid")
        attrs["aria-invalid"] = "true"
        described.append(f"{bound.auto_id}_error")
    attrs["class"] = " ".join(classes)
    if described:
        attrs["aria-describedby"] = " ".join(described)
    label = format_html('<label for="{}" class="form-label">{}</label>', bound.id_for_label, bound.label)
    parts = [label, bound.as_widget(attrs=attrs)]
    if bound.errors:
        messages = format_html_join(
            "",
            '<p id="error_{}_{}"><strong>{}</strong></p>',
            ((n, bound.auto_id, e) for n, e in enumerate(bound.errors, start=1)),
        )
        parts.append(format_html('<div id="{}_error" class="invalid-feedback">{}</div>', bound.auto_id, messages))
    if bound.help_text:
        parts.append(format_html('<div id="{}_helptext" class="form-text">{}</div>', bound.auto_id, bound.help_text))
    inner = format_html_join("", "{}", ((part,) for part in parts))
    return format_html('<div id="div_{}" class="mb-3">{}</div>', bound.auto_id, inner)
