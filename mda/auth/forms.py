"""Forms of the auth pages (Flask-WTF: every form carries a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

REQUIRED = "Dit veld is verplicht."


class LoginForm(FlaskForm):
    email = EmailField("E-mailadres", validators=[DataRequired(REQUIRED), Length(max=254)])
    #: optional: an account of an organisation with its own IdP is sent there after the e-mail address alone
    password = PasswordField("Wachtwoord", validators=[Optional(), Length(max=200)])
    submit = SubmitField("Inloggen")


class SecondFactorForm(FlaskForm):
    code = StringField("Code uit uw authenticator-app of een herstelcode",
                       validators=[DataRequired(REQUIRED), Length(max=20)])
    submit = SubmitField("Bevestigen")


class EnrolForm(FlaskForm):
    code = StringField("Code uit uw authenticator-app", validators=[DataRequired(REQUIRED), Length(max=10)])
    submit = SubmitField("Tweestapsverificatie inschakelen")


class SetPasswordForm(FlaskForm):
    password = PasswordField("Nieuw wachtwoord", validators=[DataRequired(REQUIRED), Length(max=200)])
    confirm = PasswordField("Herhaal het nieuwe wachtwoord", validators=[
        DataRequired(REQUIRED), EqualTo("password", "De wachtwoorden zijn niet gelijk.")])
    submit = SubmitField("Wachtwoord opslaan")


class ChangePasswordForm(SetPasswordForm):
    current = PasswordField("Huidig wachtwoord", validators=[DataRequired(REQUIRED), Length(max=200)])


class ApiTokenForm(FlaskForm):
    label = StringField("Naam van de API-sleutel", validators=[DataRequired(REQUIRED), Length(max=100)])
    submit = SubmitField("API-sleutel aanmaken")
