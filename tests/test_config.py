"""Configuration from the environment: bad values stop start-up with one Dutch line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mda import create_app
from mda.config import ConfigError, load_config


@pytest.mark.parametrize("name, value, explanation", [
    ("MDA_IDLE_TIMEOUT_MINUTES", "abc", "is geen geheel getal"),
    ("MDA_IDLE_TIMEOUT_MINUTES", "0", "moet minstens 1 zijn"),
    ("MDA_DATABASE_URL", "mysql://x", "moet beginnen met sqlite:// of postgresql://"),
    ("MDA_REDIS_URL", "http://localhost:6379", "moet beginnen met redis://"),
    ("MDA_HTTPS", "misschien", "moet 1/0, true/false of ja/nee zijn"),
    ("MDA_SECRET_KEY", "te-kort", "minstens 32 tekens"),
    ("MDA_MAX_REQUEST_KB", "1", "moet minstens 16 zijn"),
    ("MDA_SMTP_PORT", "poort", "is geen geheel getal"),
    ("MDA_DOCUMENT_STORAGE", "s3", "moet een van database, disk zijn"),
])
def test_bad_setting_stops_start_up_with_one_dutch_line(monkeypatch, capsys, name, value, explanation):
    """Does a bad setting stop create_app with exit code 2 and a one-line Dutch explanation?"""
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        create_app()
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("MDA++ kan niet starten: ")
    assert name in err and explanation in err
    assert "Traceback" not in err


def test_settings_are_read_from_the_environment(tmp_path):
    """Are good values taken over, with postgresql:// switched to the psycopg driver?"""
    config = load_config(str(tmp_path), {
        "MDA_DATABASE_URL": "postgresql://mda@db/mda",
        "MDA_IDLE_TIMEOUT_MINUTES": "15",
        "MDA_HTTPS": "ja",
        "MDA_SECRET_KEY": "s" * 40,
        "MDA_MAX_REQUEST_KB": "64",
    })
    assert config["DATABASE_URL"] == "postgresql+psycopg://mda@db/mda"
    assert config["IDLE_TIMEOUT"] == timedelta(minutes=15)
    assert config["HTTPS"] is True and config["SESSION_COOKIE_SECURE"] is True
    assert config["MAX_CONTENT_LENGTH"] == 64 * 1024
    assert config["SECRET_KEY"] == "s" * 40


def test_defaults_without_any_setting(tmp_path):
    """Without settings, does the app use SQLite in the instance folder, a generated key and secure
    defaults?"""
    config = load_config(str(tmp_path), {})
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'mda.sqlite'}"
    assert len(config["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0, "the key file is private"
    assert load_config(str(tmp_path), {})["SECRET_KEY"] == config["SECRET_KEY"], "the key is kept"
    assert config["SESSION_COOKIE_HTTPONLY"] and config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert config["HTTPS"] is False and config["RATELIMIT_ENABLED"] is True
    assert config["DOCUMENT_STORAGE"] == "database"
    assert load_config(str(tmp_path), {"MDA_DOCUMENT_STORAGE": "Disk"})["DOCUMENT_STORAGE"] == "disk"


def test_config_error_names_the_setting():
    """Does the explanation name the setting that is wrong, so that the operator knows what to fix?"""
    with pytest.raises(ConfigError, match="MDA_LOGIN_MAX_FAILURES"):
        load_config("/tmp", {"MDA_LOGIN_MAX_FAILURES": "veel", "MDA_SECRET_KEY": "s" * 40})


def test_base_url_follows_the_port_when_not_set(tmp_path):
    """Without MDA_BASE_URL, do links in mail and calendars point at the port the server runs on, and does an
    explicit MDA_BASE_URL still win?"""
    assert load_config(str(tmp_path), {"MDA_PORT": "5077"})["BASE_URL"] == "http://127.0.0.1:5077"
    assert load_config(str(tmp_path), {})["BASE_URL"] == "http://127.0.0.1:5000"
    explicit = load_config(str(tmp_path), {"MDA_PORT": "5077", "MDA_BASE_URL": "https://mda.example.nl/"})
    assert explicit["BASE_URL"] == "https://mda.example.nl"
