"""Meeting types and agenda templates as data (agendas/*.toml), checked at start-up."""

from __future__ import annotations

import shutil

import pytest

from mda import ROOT, create_app
from mda.meetings.agendas import AgendaError, load_type, meeting_types


def test_shipped_agendas_define_the_four_meeting_types():
    """Do the shipped files define MDA++-conferentie, casuïstiekoverleg, evaluatie and escalatieoverleg,
    each with its standard items and default durations?"""
    types = meeting_types(str(ROOT / "agendas"))
    assert {"mda-conferentie", "casuistiekoverleg", "evaluatie", "escalatieoverleg"} <= set(types)
    overleg = types["casuistiekoverleg"]
    titles = [i.title for i in overleg.items]
    assert titles[0].startswith("Opening en geheimhouding")
    assert "Openstaande acties van de vorige keer" in titles[1]
    assert [i.cases for i in overleg.items].count(True) == 1
    assert overleg.multiple_cases and overleg.children_first and overleg.case_minutes == 30
    assert any("Veiligheidsronde" in s for s in overleg.case_steps)
    assert types["mda-conferentie"].cases == "een" and types["mda-conferentie"].max_cases == 1


def _write(tmp_path, text, name="casuistiekoverleg.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """name = "Test"
cases = "meerdere"
minutes = 60

[[item]]
title = "Opening"
minutes = 5

[[item]]
title = "Casussen"
cases = true

[[item]]
title = "Afsluiting"
minutes = 5
"""


def test_a_toml_syntax_error_names_file_and_line(tmp_path):
    """Is a file that is not valid TOML reported with its name and the line of the error?"""
    path = _write(tmp_path, GOOD.replace('minutes = 60', 'minutes = = 60'))
    with pytest.raises(AgendaError, match=r"casuistiekoverleg\.toml, regel 3: geen geldige TOML"):
        load_type(path)


def test_a_negative_duration_names_the_line_of_that_key(tmp_path):
    """Is a semantic error (a negative duration in the second-to-last item) reported at the line of that key?"""
    path = _write(tmp_path, GOOD.replace('title = "Afsluiting"\nminutes = 5', 'title = "Afsluiting"\nminutes = -5'))
    line = path.read_text().splitlines().index("minutes = -5") + 1
    with pytest.raises(AgendaError) as exc:
        load_type(path)
    assert f"regel {line}:" in str(exc.value) and "agendapunt 3" in str(exc.value)


def test_unknown_key_and_missing_case_marker_are_reported(tmp_path):
    """Are a misspelt key and an agenda without a place for the cases both refused, with their line?"""
    path = _write(tmp_path, GOOD.replace('minutes = 60', 'minuten = 60'))
    with pytest.raises(AgendaError, match=r"regel 3: onbekende sleutel 'minuten'"):
        load_type(path)
    path = _write(tmp_path, GOOD.replace("cases = true\n", "minutes = 10\n"))
    with pytest.raises(AgendaError, match="precies één agendapunt moet 'cases = true'"):
        load_type(path)


def test_malformed_agenda_stops_start_up_with_file_and_line(tmp_path, app_config, capsys):
    """Does create_app refuse to start (exit code 2) with a one-line Dutch message naming file and line?"""
    folder = tmp_path / "agendas"
    shutil.copytree(ROOT / "agendas", folder)
    text = (folder / "evaluatie.toml").read_text().replace("minutes = 60", 'minutes = "zestig"')
    (folder / "evaluatie.toml").write_text(text)
    line = text.splitlines().index('minutes = "zestig"') + 1
    with pytest.raises(SystemExit) as exc:
        create_app({**app_config, "AGENDAS_DIR": str(folder)})
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "MDA++ kan niet starten" in err and "evaluatie.toml" in err and f"regel {line}" in err


def test_a_region_can_change_its_agenda(tmp_path, app_config, app):
    """Does an edited agenda file (another first item, another duration) become the form's template?"""
    from mda.meetings.agendas import meeting_types as load

    folder = tmp_path / "agendas"
    shutil.copytree(ROOT / "agendas", folder)
    path = folder / "evaluatie.toml"
    path.write_text(path.read_text().replace("Opening en geheimhoudingsverklaring", "Welkom en geheimhouding"))
    types = load(str(folder))
    assert types["evaluatie"].items[0].title == "Welkom en geheimhouding"
