"""The usage log's charge-session kind: every session in range, newest first by keyset pages, in scope."""

from __future__ import annotations

import re
from datetime import timedelta

from station_admin.core import models
from station_admin.live.charging import ChargeSession
from tests.htmx import HX
from tests.station_admin.conftest import FIRST, LAST, RANGE, admin, local, login

REASONS = ["full", "unplugged", "time_limit", "fault", None]


def sessions() -> list[str]:
    """Twenty sessions at Xujiahui over the range (two at the same moment), two outside it, one elsewhere."""
    made = []
    with models.db.connection_context():
        moments = [local(FIRST + timedelta(days=n % 14), 8 + n % 12, 5) for n in range(19)]
        moments.append(moments[3])  # same start: the id breaks the tie
        moments += [local(FIRST - timedelta(days=1), 23, 0), local(LAST + timedelta(days=1), 0, 5)]
        for n, started in enumerate(moments):
            reason = REASONS[n % len(REASONS)]
            ChargeSession.create(session_id=f"s{n:04d}", station_code="xh-xujiahui", slot=1 + n % 4,
                                 member_no="M00077" if n == 2 else None, started_at=started,
                                 ended_at=started + timedelta(hours=1) if reason else None, energy_wh=100 + n,
                                 limit_s=7200, end_reason=reason, reported_at=started)
            made.append(f"s{n:04d}")
        ChargeSession.create(session_id="other", station_code="xh-longhua", slot=1, started_at=moments[0],
                             limit_s=7200, reported_at=moments[0])
    return made


def test_charge_sessions_page_newest_first_to_the_end(app):  # noqa: F811
    sessions()
    client = admin(app)
    url, seen = f"/reports/usage?{RANGE}&station=xh-xujiahui&kind=charge", []
    while url:
        html = client.get(url, headers=HX).get_data(as_text=True)
        seen += re.findall(r'data-event="([^"]+)"', html)
        older = re.search(r'rel="next" href="([^"]+)"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    with models.db.connection_context():
        expected = [s.session_id for s in ChargeSession.select().where(ChargeSession.station_code == "xh-xujiahui")
                    .order_by(ChargeSession.started_at.desc(), ChargeSession.id.desc())
                    if FIRST <= (s.started_at + timedelta(hours=8)).date() <= LAST]
    assert seen == expected and len(seen) == 20


def test_charge_sessions_show_their_details_and_hide_members_from_federations(app):  # noqa: F811
    sessions()
    client = admin(app)
    html = client.get(f"/reports/usage?{RANGE}&kind=charge&station=xh-xujiahui").get_data(as_text=True)
    assert html.count('data-event="s') == 7  # a page of the test app's page size
    day = FIRST + timedelta(days=2)
    html = client.get(f"/reports/usage?from={day}&to={day}&kind=charge").get_data(as_text=True)
    assert re.findall(r'data-event="([^"]+)"', html) == ["s0016", "s0002"]
    assert "充电位" in html and "结束原因" in html and "M00077" in html and "102" in html
    assert "<td>到达时间上限</td>" in html and "<td>已拔下</td>" in html  # time_limit and unplugged, translated
    client = app.test_client()
    login(client, "federation", "federation-demo")
    html = client.get(f"/reports/usage?{RANGE}&kind=charge").get_data(as_text=True)
    assert 'data-event="s' in html and "M00077" not in html and "会员号" not in html
    assert "充电" in html and "电量（瓦时）" in html


def test_requests_vouchers_and_feedback_are_in_the_usage_log_without_personal_data_for_federations(app):  # noqa: F811
    from station_admin.community.careday import Voucher
    from station_admin.community.feedback import Feedback, FeedbackCategory
    from station_admin.requests.models import ServiceRequest

    moment = local(FIRST + timedelta(days=1), 12, 30)
    with models.db.connection_context():
        ServiceRequest.create(tracking_code="K7Q2M9XA", event_id="r" * 32, station_code="xh-xujiahui",
                              service="legal_aid", answers='{"matter": "wages"}', member_no="W7K3M9Q2XZ",
                              phone_last4="5678", best_time="any", filed_at=moment, due_at=moment,
                              status="assigned", updated_at=moment)
        Voucher.create(voucher_no="V123456789", claim_event_id="v" * 32, member_no="W7K3M9Q2XZ",
                       station_code="xh-xujiahui", month="202506", claimed_at=moment, status="confirmed",
                       decided_at=moment)
        feedback = Feedback.create(event_id="f" * 32, station_code="xh-xujiahui", occurred_at=moment, score=2)
        for category in ("seats", "chargers"):
            FeedbackCategory.create(feedback=feedback, station_code="xh-xujiahui", occurred_at=moment,
                                    category=category)
    client = admin(app)
    pages = {kind: client.get(f"/reports/usage?{RANGE}&kind={kind}", headers=HX).get_data(as_text=True)
             for kind in ("request", "voucher", "feedback")}
    assert 'data-event="' + "r" * 32 in pages["request"] and "K7Q2M9XA" in pages["request"]
    assert "wages" not in pages["request"] and "5678" not in pages["request"]  # never answers or contact
    assert "V123456789" in pages["voucher"] and "已确认" in pages["voucher"]
    assert "chargers, seats" in pages["feedback"] and ">2<" in pages["feedback"]
    federation = app.test_client()
    login(federation, "federation", "federation-demo")
    for kind in ("request", "voucher", "feedback"):
        html = federation.get(f"/reports/usage?{RANGE}&kind={kind}", headers=HX).get_data(as_text=True)
        assert 'data-event="' in html and "W7K3M9Q2XZ" not in html
        assert "K7Q2M9XA" not in html and "V123456789" not in html
