"""The API's error messages in the reader's language (Accept-Language): Chinese unless
English is asked for; the machine-readable `code` is the same in both."""

import pytest

from tests.helpers import assert_problem, login, report_body


@pytest.fixture
def bare(app):
    """A client that names no language, as curl or a phone might."""
    return app.test_client()


def refused_report(client, language):
    headers = {**login(client, "volunteer")}
    if language is not None:
        headers["Accept-Language"] = language
    body = report_body(lat=200, accuracy_m=-1)
    return assert_problem(client.post("/api/v1/hazards", json=body, headers=headers), 422)


@pytest.mark.parametrize("language", [None, "zh-CN", "zh-CN,zh;q=0.9,en;q=0.8", "fr, *"])
def test_a_refused_report_reads_in_chinese_unless_english_is_asked(bare, demo, language):
    problem = refused_report(bare, language)
    assert problem["title"] == "数据无效"
    assert problem["detail"] == "字段无效或缺失：accuracy_m, lat"
    assert problem["errors"] == {
        "lat": ["必须在 -90 到 90 之间。"],
        "accuracy_m": ["必须在 0 到 100000 之间。"],
    }
    assert problem["code"] == "validation_failed"


@pytest.mark.parametrize("language", ["en", "en-US,en;q=0.9,zh-CN;q=0.5"])
def test_a_refused_report_reads_in_english_when_asked(bare, demo, language):
    problem = refused_report(bare, language)
    assert problem["title"] == "Unprocessable Entity"
    assert problem["detail"] == "invalid or missing fields: accuracy_m, lat"
    assert problem["errors"] == {
        "lat": ["Must be greater than or equal to -90 and less than or equal to 90."],
        "accuracy_m": ["Must be greater than or equal to 0 and less than or equal to 100000."],
    }
    assert problem["code"] == "validation_failed"


def test_a_wrong_password_and_a_forbidden_step_read_in_chinese(bare, demo):
    wrong = bare.post("/api/v1/auth/session", json={"username": "fire", "password": "nope"})
    assert assert_problem(wrong, 401)["detail"] == "用户名或密码错误。"
    assert wrong.headers["Content-Language"] == "zh-CN"
    english = bare.post(
        "/api/v1/auth/session",
        json={"username": "fire", "password": "nope"},
        headers={"Accept-Language": "en"},
    )
    assert assert_problem(english, 401)["detail"] == "wrong username or password"
    assert english.headers["Content-Language"] == "en"
    assert "Accept-Language" in english.headers["Vary"]


def test_a_sentence_the_table_does_not_know_keeps_its_english_beside_the_chinese(bare, demo):
    office = login(bare, "office")
    answer = bare.get("/api/v1/stats/weekly.csv?week=2026-W99", headers=office)
    problem = assert_problem(answer, 422)
    assert problem["title"] == "数据无效"
    assert problem["detail"].startswith(("不是有效的 ISO 周", "数据不符合规则（"))


def test_an_unknown_record_reads_in_chinese(bare, demo):
    office = login(bare, "office")
    answer = bare.get("/api/v1/hazards/6f1c2b9e-3d4a-4e5f-8a7b-9c0d1e2f3a4b", headers=office)
    problem = assert_problem(answer, 404)
    assert (problem["title"], problem["detail"]) == ("不存在", "隐患不存在，或您无权查看。")
