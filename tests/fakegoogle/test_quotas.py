"""FakeGoogle(quotas=True): Gmail's units per moving second and per minute, its daily sending limit,
Drive's queries per minute, on the fake's clock; and the report a benchmark reads."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request

import pytest
from googleapiclient.errors import HttpError

from fakegoogle import FakeGoogle
from fakegoogle.clients import services

MAIL = base64.urlsafe_b64encode(
    b"To: staf@dinkes.example.go.id\r\nSubject: x\r\n\r\nhi\r\n"
).decode()


@pytest.fixture
def now():
    return [time.time()]


def refusal(error: pytest.ExceptionInfo) -> tuple[int, str, str]:
    return (
        error.value.status_code,
        error.value.error_details[0]["reason"],
        error.value.error_details[0]["message"],
    )


def test_gmail_allows_250_units_in_any_moving_second(now):
    with FakeGoogle(quotas=True, clock=lambda: now[0]) as google:
        gmail = services(google).gmail
        for _ in range(2):
            gmail.users().messages().send(userId="me", body={"raw": MAIL}).execute()
        now[0] += 0.5
        with pytest.raises(HttpError) as error:  # 200 + 100 > 250 within one second
            gmail.users().messages().send(userId="me", body={"raw": MAIL}).execute()
        status, reason, message = refusal(error)
        assert (status, reason) == (429, "rateLimitExceeded")
        assert message.startswith("User-rate limit exceeded.  Retry after ")
        gmail.users().getProfile(userId="me").execute()  # 1 unit still fits
        now[0] += 0.6  # the first two sends are now more than a second old
        gmail.users().messages().send(userId="me", body={"raw": MAIL}).execute()
        assert len(google.users.sent_messages()) == 3


def test_gmail_per_user_minute_limit(now):
    with FakeGoogle(quotas=True, clock=lambda: now[0], gmail_per_minute_limit=20) as google:
        gmail = services(google).gmail
        for _ in range(4):
            gmail.users().messages().list(userId="me").execute()  # 5 units each
            now[0] += 2
        with pytest.raises(HttpError) as error:
            gmail.users().getProfile(userId="me").execute()
        status, reason, message = refusal(error)
        assert (status, reason) == (429, "rateLimitExceeded")
        assert "'Queries per minute per user'" in message and "gmail.googleapis.com" in message
        now[0] += 60
        gmail.users().getProfile(userId="me").execute()


def test_the_daily_sending_limit_is_answered_as_gmail_does(now):
    with FakeGoogle(quotas=True, clock=lambda: now[0], gmail_daily_send_limit=2) as google:
        gmail = services(google).gmail
        for _ in range(2):
            gmail.users().messages().send(userId="me", body={"raw": MAIL}).execute()
            now[0] += 3600
        with pytest.raises(HttpError) as error:
            gmail.users().messages().send(userId="me", body={"raw": MAIL}).execute()
        status, reason, message = refusal(error)
        assert (status, reason) == (429, "rateLimitExceeded")
        assert message.endswith("(Mail sending)")
        assert len(google.users.sent_messages()) == 2  # nothing was sent
        now[0] += 86_400 - 3600  # a rolling day after the first send
        gmail.users().messages().send(userId="me", body={"raw": MAIL}).execute()
        assert google.quota_report()["hukum@example.go.id"]["gmail"]["refused"] == {
            "dailySendingLimit": 1
        }


def test_drive_answers_403_past_its_queries_per_minute(now):
    with FakeGoogle(quotas=True, clock=lambda: now[0], drive_per_minute_limit=5) as google:
        drive = services(google).drive
        for _ in range(5):
            drive.files().list().execute()
        with pytest.raises(HttpError) as error:
            drive.files().list().execute()
        assert refusal(error)[:2] == (403, "userRateLimitExceeded")
        now[0] += 60.5
        drive.files().list().execute()


def test_usage_is_reported_per_user_second_and_minute_without_enforcement(now):
    with FakeGoogle(clock=lambda: now[0]) as google:  # quotas off: recorded, never refused
        gmail = services(google).gmail
        for _ in range(5):
            gmail.users().messages().send(userId="me", body={"raw": MAIL}).execute()
        now[0] += 1.5
        gmail.users().getProfile(userId="me").execute()
        services(google).drive.files().list().execute()
        report = google.quota_report()["hukum@example.go.id"]
        assert report["gmail"]["units"] == 501 and report["gmail"]["requests"] == 6
        assert report["gmail"]["max_units_per_second"] == 500
        assert report["gmail"]["max_units_per_minute"] == 501
        assert report["gmail"]["messages_sent"] == 5
        assert report["drive"]["max_units_per_minute"] == 1


def test_quotas_are_per_user(now):
    with FakeGoogle(quotas=True, require_auth=True, clock=lambda: now[0]) as google:

        def send(email: str) -> int:
            request = urllib.request.Request(
                google.url + "gmail/v1/users/me/messages/send",
                data=json.dumps({"raw": MAIL}).encode(),
                headers={
                    "Authorization": f"Bearer {google.access_token(email)}",
                    "Content-Type": "application/json",
                },
            )
            try:
                with urllib.request.urlopen(request) as answer:
                    return answer.status
            except urllib.error.HTTPError as error:
                return error.code

        assert [send("a@example.go.id") for _ in range(3)] == [200, 200, 429]
        assert send("b@example.go.id") == 200
