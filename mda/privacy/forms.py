"""Filter form of the audit page."""

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import NumberRange, Optional, ValidationError


class AuditFilterForm(FlaskForm):
    user = StringField("Gebruiker (e-mailadres of deel daarvan)", validators=[Optional()])
    case_id = IntegerField("Casusnummer (intern id)", validators=[
        Optional(), NumberRange(min=1, message="Vul een positief getal in.")])
    date_from = DateField("Vanaf", validators=[Optional()])
    date_to = DateField("Tot en met", validators=[Optional()])
    action = SelectField("Actie", validators=[Optional()])
    submit = SubmitField("Filteren")

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError("De einddatum ligt vóór de begindatum.")
