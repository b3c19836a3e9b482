"""Street offices (街道办事处) lead the kinds they own by 属地 duty, in their own street."""

import pytest

from tests.helpers import file_report, login, take


def test_the_demo_street_office_has_its_streets_reports_to_sign_for(client, demo):
    zhongcang = login(client, "zhongcang")
    queue = client.get("/api/v1/queue?view=lead", headers=zhongcang).json["items"]
    assert len(queue) == 3
    assert {item["category"] for item in queue} == {"road_stall_occupation", "stairwell_clutter"}
    assert {item["status"] for item in queue} == {"assigned"}
    assert {item["lead_department"] for item in queue} == {"street-110112001"}
    accepted = take(client, zhongcang, queue[0]["id"], "accept")
    assert accepted["status"] == "accepted"


@pytest.mark.parametrize(
    ("grid", "office"),
    [("110112001001G01", "street-110112001"), ("110112004003G01", "street-110112004")],
)
def test_road_stalls_and_stairwell_clutter_go_to_the_street_office_where_they_are(
    client, demo, grid, office
):
    volunteer = login(client, "volunteer")
    for category in ("road_stall_occupation", "stairwell_clutter"):
        hazard = file_report(client, volunteer, category=category, grid=grid)
        assert (hazard["status"], hazard["lead_department"]) == ("assigned", office)
        assert hazard["territorial_department"] == office
