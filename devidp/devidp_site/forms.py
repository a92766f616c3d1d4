import re

from django import forms


class LoginForm(forms.Form):
    """Choose a person from the roster, or type any Basispoort id."""

    person = forms.CharField(required=False)
    manual_id = forms.CharField(required=False, max_length=20)

    def __init__(self, *args, roster, **kwargs):
        super().__init__(*args, **kwargs)
        self.roster = roster

    def clean_person(self):
        person = self.cleaned_data["person"]
        if person and self.roster.get(person) is None:
            raise forms.ValidationError("Deze persoon staat niet (meer) in de feed.")
        return person

    def clean_manual_id(self):
        manual_id = self.cleaned_data["manual_id"]
        if not manual_id:
            return manual_id
        if not re.fullmatch(r"[0-9]+", manual_id):
            raise forms.ValidationError("Een Basispoort-id bestaat alleen uit cijfers.")
        # Basispoort ids are integers in the feed: "0042" must be the same user as "42".
        return str(int(manual_id))

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        basispoort_id = cleaned.get("manual_id") or cleaned.get("person")
        if not basispoort_id:
            raise forms.ValidationError("Kies een persoon of typ een Basispoort-id.")
        cleaned["basispoort_id"] = basispoort_id
        return cleaned
