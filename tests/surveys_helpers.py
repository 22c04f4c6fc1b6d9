"""What the survey tests share: a rider survey built and published through the staff pages, and answering
on the phone through the rider's own link."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import csrf_of, local_today

# A survey of delivery riders in Xuhui: two kiosk questions, a number, and free text (phone only).
RIDER_SURVEY = {
    "owner": "federation:sh", "title_zh": "骑手需求调查", "title_en": "Riders' needs survey", "anonymous": "yes",
    "target_groups": ["delivery_rider"], "target_districts": ["xuhui", "minhang"],
    "q1_kind": "single", "q1_zh": "您最需要驿站提供什么？", "q1_en": "What do you need most from a station?",
    "q1_choices": "准时送达 | On-time delivery\n充电 | Charging",
    "q2_kind": "rating", "q2_zh": "您对驿站的满意度", "q2_en": "How satisfied are you with the station?",
    "q3_kind": "number", "q3_zh": "您每天工作几小时？", "q3_en": "How many hours a day do you work?",
    "q3_min": "0", "q3_max": "24",
    "q4_kind": "text", "q4_zh": "还有什么建议？", "q4_en": "Any other suggestions?",
}


def survey_form(**changes) -> dict:
    today = local_today()
    return {**RIDER_SURVEY, "starts_on": today.isoformat(), "ends_on": (today + timedelta(days=30)).isoformat(),
            **changes}


def build_survey(client, publish: bool = True, **changes) -> int:
    """Build (and publish) a survey through the staff pages as a signed-in staff client; its id."""
    response = client.post("/surveys/new", data={**survey_form(**changes), "csrf_token": csrf_of(client)})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    survey_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    if publish:
        assert client.post(f"/surveys/{survey_id}/publish", data={"csrf_token": csrf_of(client)}).status_code == 303
    return survey_id


def phone_answer(app, phone, survey_id: int, member, answers: dict, status: int = 200, expect: str = "thanks") -> str:
    """Answer on the phone through the member's own link; the page it ends on."""
    from station_admin.core import models
    from station_admin.surveys.responses import phone_path

    with models.db.connection_context():
        path = phone_path(app.extensions["waystation.protector"], survey_id, member.member_no)
    form = phone.get(path)
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    response_id = re.search(r'name="response" value="([0-9a-f]{32})"', html)
    data = {**answers, "csrf_token": csrf_of(phone), "response": response_id.group(1) if response_id else ""}
    response = phone.post(path, data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == status, page[:2000]
    if status == 200:
        assert f'data-testid="survey-{expect}"' in page or f'data-key="{expect}"' in page, page[:2000]
    return page
