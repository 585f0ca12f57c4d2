"""The numbers and notes a supervisor reads (pure): a run and its resumes as one job."""

from __future__ import annotations

from rescheduler.i18n import use_language
from rescheduler.web import notes
from rescheduler.web.numbers import failure_reasons, job_numbers, kept_counts, statuses


def test_after_a_stop_the_rows_not_sent_are_not_done() -> None:
    job = job_numbers(2000, {"succeeded": 279, "not_sent": 1721})
    assert job.handled == 279 < job.total == 2000
    assert not job.complete
    assert job.to_fix == 1721


def test_after_a_resume_earlier_successes_count_as_rescheduled() -> None:
    codes = {"already_succeeded": 279}
    kept = kept_counts({"succeeded": 1721, "skipped": 279, "not_sent": 0}, codes)
    assert statuses(kept) == {"succeeded": 1721, "skipped": 279, "not_sent": 0}
    job = job_numbers(2000, kept)
    assert (job.rescheduled, job.earlier, job.duplicates) == (2000, 279, 0)
    assert job.complete


def test_duplicates_and_held_rows_are_not_sent_on_purpose() -> None:
    kept = kept_counts({"succeeded": 5, "skipped": 4}, {"can_reschedule.no": 1, "duplicate": 3})
    job = job_numbers(9, kept)
    assert (job.duplicates, job.held, job.rescheduled, job.to_fix) == (3, 1, 5, 0)


def test_failure_reasons_leave_out_what_is_not_a_failure() -> None:
    codes = {"server.04000004": 2, "duplicate": 5, "interrupted": 9, "appointTime.past": 3}
    reasons = failure_reasons(codes, {"server.04000004": "04000004 ..."})
    assert reasons == [("appointTime.past", 3, ""), ("server.04000004", 2, "04000004 ...")]


def test_a_note_is_said_in_each_readers_language() -> None:
    kept = notes.note(notes.STOPPED_BY, user="ann")
    assert notes.show(kept).text == "Stopped by ann. The rows not sent yet can be sent with Resume."
    with use_language("zh-CN"):
        assert notes.show(kept).text == "已被 ann 停止。尚未发送的行可以通过“继续发送”发送。"
    assert notes.show("plain text of 0.1").text == "plain text of 0.1"


def test_a_refusal_that_names_a_flag_becomes_what_to_do_with_the_detail_kept() -> None:
    engine = "x.csv: cannot tell the encoding ... give --encoding cp1252"
    shown = notes.show(notes.for_refused_file(engine))
    assert "--encoding" not in shown.text
    assert "CSV UTF-8" in shown.text
    assert shown.detail == engine
    plain = "x.csv, line 3: the quote opened here is never closed"
    assert notes.show(notes.for_refused_file(plain)).text == plain
    admin = notes.show(notes.for_abort("credentials_rejected", "HTTP 401 ... auth.access_key"))
    assert admin.admin
    assert "Ask your administrator" in admin.text
