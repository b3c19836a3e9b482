"""The console's sources keep the front end's rules (STYLE.md, "Front end"): every
visible string from the locale files, both languages with the same keys, and a word in
each for every status, role, severity and event the server can send. The phone app
(src/app/) keeps the same rules with its own locale files (src/app/locales/)."""

import json
import re
from pathlib import Path

import pytest

from server.services.lifecycle import STEP_TYPES
from server.vocabulary import ROLES, SEVERITIES, STATUSES

WEB = Path(__file__).resolve().parents[2] / "web"
SOURCES = sorted(
    path for path in (WEB / "src").rglob("*") if path.suffix in (".vue", ".js") and path.is_file()
)
APP = WEB / "src" / "app"
CONSOLE_SOURCES = [path for path in SOURCES if not path.is_relative_to(APP)]
APP_SOURCES = [path for path in SOURCES if path.is_relative_to(APP)]


def _messages(language):
    """Every message of a language: its files (core.json, one per area) merged, as i18n.js
    merges them; no two files may define the same top-level key."""
    merged = {}
    for path in sorted((WEB / "src" / "locales" / language).glob("*.json")):
        messages = json.loads(path.read_text())
        assert not set(messages) & set(merged), f"{path.name} redefines a top-level key"
        merged.update(messages)
    return merged


LOCALES = {name: _messages(name) for name in ("zh-CN", "en")}
APP_LOCALES = {
    name: json.loads((APP / "locales" / f"{name}.json").read_text()) for name in ("zh-CN", "en")
}
# Events the server writes beyond the steps a person takes.
SERVER_EVENTS = ("report", "route", "update", "sync_conflict")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/|<!--.*?-->", re.S)
STATIC_KEY = re.compile(r"""\bt\(\s*'([A-Za-z0-9_.]+)'""")


def keys(messages, prefix=""):
    """Every dotted key of a nested message object."""
    found = set()
    for key, value in messages.items():
        name = f"{prefix}{key}"
        found |= keys(value, name + ".") if isinstance(value, dict) else {name}
    return found


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_no_two_locale_files_hold_the_same_top_level_key(language):
    seen = {}
    for path in sorted((WEB / "src" / "locales" / language).glob("*.json")):
        for key in json.loads(path.read_text()):
            assert key not in seen, f"{key!r} is in both {seen.get(key)} and {path.name}"
            seen[key] = path.name


@pytest.mark.parametrize("locales", [LOCALES, APP_LOCALES], ids=["console", "app"])
def test_both_languages_have_the_same_messages(locales):
    assert keys(locales["zh-CN"]) == keys(locales["en"])


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(WEB)))
def test_no_chinese_text_outside_the_locale_files(path):
    code = COMMENTS.sub("", path.read_text())
    assert CJK.findall(code) == [], "move the text into src/locales/*.json"


@pytest.mark.parametrize(
    ("sources", "locales"),
    [(CONSOLE_SOURCES, LOCALES), (APP_SOURCES, APP_LOCALES)],
    ids=["console", "app"],
)
def test_every_message_a_page_names_exists(sources, locales):
    defined = keys(locales["zh-CN"])
    used = {key for path in sources for key in STATIC_KEY.findall(path.read_text())}
    assert used and used - defined == set()


def test_the_app_has_words_for_every_status_and_role_in_both_languages():
    for messages in APP_LOCALES.values():
        assert set(STATUSES) <= set(messages["status"])
        assert set(ROLES) <= set(messages["account"]["roles"])


@pytest.mark.parametrize(
    ("group", "values"),
    [
        ("status", STATUSES),
        ("roles", ROLES),
        ("severity", SEVERITIES),
        ("events", STEP_TYPES + SERVER_EVENTS),
    ],
)
def test_every_value_the_server_sends_has_words_in_both_languages(group, values):
    for messages in LOCALES.values():
        assert set(values) <= set(messages[group]), group
