"""The upload form of a case document."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length

from mda.cases.forms import MultiCheckboxField


class DocumentForm(FlaskForm):
    """A document, its category and the persons it concerns; the source is the uploader's organisation."""

    file = FileField("Bestand (PDF, Word .docx, OpenDocument .odt, JPEG of PNG)")
    title = StringField("Titel (leeg: de bestandsnaam)", validators=[Length(max=200)])
    category = SelectField("Categorie", validate_choice=False)
    persons = MultiCheckboxField("Over wie gaat dit document?", coerce=int, validate_choice=False)
    submit = SubmitField("Document toevoegen")
