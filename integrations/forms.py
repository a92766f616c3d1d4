from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.models import LvsSupplier, ResultLink
from roster.models import School


class KeyField(forms.CharField):
    """The authorisation key: typed once, never rendered back (not even after an error)."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("Autorisatiesleutel"),
            max_length=64,
            strip=True,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
            help_text=_("De sleutel die je van de leverancier van het leerlingvolgsysteem hebt gekregen."),
            error_messages={
                "required": _("Vul de autorisatiesleutel in."),
                "max_length": _("Een autorisatiesleutel is hoogstens 64 tekens lang."),
            },
            **kwargs,
        )

    def clean(self, value):
        value = super().clean(value)
        if any(ch.isspace() for ch in value):
            raise forms.ValidationError(_("Een autorisatiesleutel bevat geen spaties; kopieer hem precies."))
        if len(value) < 8:
            raise forms.ValidationError(_("Deze sleutel is te kort; kopieer de hele autorisatiesleutel."))
        return value


class AddLinkForm(forms.Form):
    supplier = forms.ModelChoiceField(
        label=_("Leerlingvolgsysteem"),
        queryset=LvsSupplier.objects.none(),
        empty_label=_("Kies het leerlingvolgsysteem"),
        error_messages={
            "required": _("Kies het leerlingvolgsysteem."),
            "invalid_choice": _("Kies een leerlingvolgsysteem uit de lijst."),
        },
    )
    key = KeyField()
    keep_if_refused = forms.BooleanField(
        label=_("Bewaar de koppeling ook als de leverancier de sleutel weigert"),
        required=False,
        help_text=_(
            "Zonder dit vinkje wordt een koppeling waarvan de leverancier de sleutel weigert niet bewaard; "
            "je voegt hem dan opnieuw toe met de juiste sleutel."
        ),
    )

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        linked = ResultLink.objects.current().filter(school=school).values("supplier_id")
        self.fields["supplier"].queryset = LvsSupplier.objects.filter(active=True).exclude(pk__in=linked)


class ChangeKeyForm(forms.Form):
    key = KeyField()
