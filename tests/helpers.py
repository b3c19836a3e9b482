"""Plain helpers that build test data and talk to the API."""

import uuid

from server.demo import DEMO_PASSWORD, grid_centre

# Grid 110112001001G01 belongs to 中仓街道 / 中仓社区 and the demo grid worker.
GRID_OF_GRIDWORKER = "110112001001G01"
OTHER_GRID = "110112004003G01"  # 玉桥街道, no demo grid worker
# No demo hazard lies here: a hotspot made by a test is the only thing near it.
QUIET_GRID = "110112001002G03"


def login(client, username, password=DEMO_PASSWORD, device="test-phone"):
    """Sign in and return the Authorization header."""
    response = client.post(
        "/api/v1/auth/tokens",
        json={"username": username, "password": password, "device_name": device},
    )
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def report_body(grid=GRID_OF_GRIDWORKER, **overrides):
    """Return a valid hazard report placed at the centre of `grid`."""
    lat, lon = grid_centre(grid)
    body = {
        "id": str(uuid.uuid4()),
        "category": "fire_lane_blocked",
        "description": "小区东门消防车通道被占用",
        "lat": lat,
        "lon": lon,
        "accuracy_m": 6.5,
        "crs": "wgs84",
        "address": "中仓社区3号楼",
        "observed_at": "2026-06-03T09:15:00+08:00",
    }
    body.update(overrides)
    return body


def file_report(client, headers, **overrides):
    """File a report and return its JSON."""
    response = client.post("/api/v1/hazards", json=report_body(**overrides), headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def assert_problem(response, status):
    """Assert the response is problem+json with `status`, and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.json
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"] and body["code"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def step(client, headers, hazard_id, type_, **fields):
    """Send a lifecycle step with a fresh client id; return the response."""
    body = {"id": str(uuid.uuid4()), "type": type_, **fields}
    return client.post(f"/api/v1/hazards/{hazard_id}/events", json=body, headers=headers)


def take(client, headers, hazard_id, type_, **fields):
    """Take a step that must succeed; return the hazard after it."""
    response = step(client, headers, hazard_id, type_, **fields)
    assert response.status_code == 201, response.json
    return response.json["hazard"]


def add_user(app, username, role, password, **details):
    """Create another account (department, grids, phone as keyword arguments)."""
    from server.extensions import db
    from server.services.accounts import create_user

    with app.app_context():
        create_user(
            db.session,
            username,
            role=role,
            password=password,
            password_method="pbkdf2:sha256:1000",
            **details,
        )
        db.session.commit()


def upload(client, headers, data, content_type="image/jpeg"):
    """PUT a photo under its SHA-256; return the response."""
    from tests.photos import sha

    return client.put(
        f"/api/v1/photos/{sha(data)}", data=data, headers={**headers, "Content-Type": content_type}
    )


def at_the_spot(n, grid=QUIET_GRID):
    """Return {lat, lon} of the nth report at one spot: GPS scatter of a few metres
    around the grid's centre, every two points well within the 30 m duplicate radius."""
    lat, lon = grid_centre(grid)
    return {"lat": lat + (n % 5 - 2) * 0.00003, "lon": lon + (n // 5 % 6 - 2.5) * 0.00003}


def duplicate_links(client, office):
    """Return {hazard id: {(hazard, other) of each link}} of the office's duplicates queue."""
    page = client.get("/api/v1/queue?view=duplicates&limit=200", headers=office).json
    assert page["next"] is None
    return {
        item["id"]: {(link["hazard"], link["other"]) for link in item["duplicates"]}
        for item in page["items"]
    }
