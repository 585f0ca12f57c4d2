"""The export's page journal: one row per appointId, sweeps, fields in order, resume or restart."""

from __future__ import annotations

from pathlib import Path

from rescheduler.state.staging import Staging, StoredPage


def add(staging: Staging, sweep: int, offset: int, ids: list[str], total: int = 3) -> int:
    items = [{"appointId": i, "n": offset} for i in ids]
    return staging.add_page(sweep, offset, 2, len(ids), total, ids, items)


def test_items_are_kept_once_per_appoint_id_in_list_order(tmp_path: Path) -> None:
    with Staging(tmp_path / "j.sqlite", "f", resume=False) as staging:
        assert add(staging, 1, 0, ["a", "b"]) == 2
        assert add(staging, 1, 2, ["b", "c"]) == 1  # "b" again (the list moved): once
        assert staging.seen_in(1) == 3
        assert [(i, item["n"]) for i, item in staging.items(1)] == [
            ("a", 0),
            ("b", 2),  # the values last seen, at the place first seen
            ("c", 2),
        ]
        assert staging.done_offsets(1) == {0: StoredPage(2, 2, 0, 3), 2: StoredPage(2, 2, 0, 3)}


def test_a_second_sweep_separates_the_current_from_the_gone(tmp_path: Path) -> None:
    with Staging(tmp_path / "j.sqlite", "f", resume=False) as staging:
        add(staging, 1, 0, ["a", "b"])
        add(staging, 1, 2, ["c"])
        staging.start_sweep(2)
        assert add(staging, 2, 0, ["b", "c"], total=2) == 2
        assert staging.sweep == 2
        assert [i for i, _ in staging.items(2)] == ["b", "c"]
        assert [i for i, _ in staging.items()] == ["a", "b", "c"]  # every one ever seen
        assert staging.lookup("a") == {"appointId": "a", "n": 0}
        assert staging.lookup("zz") is None


def test_fields_are_the_union_in_first_seen_order(tmp_path: Path) -> None:
    with Staging(tmp_path / "j.sqlite", "f", resume=False) as staging:
        staging.add_page(1, 0, 2, 2, 2, ["a", "b"], [{"x": 1, "y": 2}, {"z": 3, "x": 4}])
        assert staging.fields() == ["x", "y", "z"]


def test_resume_reuses_pages_of_the_same_listing_only(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Staging(path, "listing-1", resume=False) as staging:
        add(staging, 1, 0, ["a", "b"])
        staging.set_page_size(1, 2)
    with Staging(path, "listing-1", resume=True) as staging:
        assert staging.resumed
        assert (staging.pages(), staging.page_size(1)) == (1, 2)
        assert staging.fields() == ["appointId", "n"]
    with Staging(path, "listing-2", resume=True) as staging:  # other filters: start afresh
        assert not staging.resumed
        assert staging.pages() == 0
    with Staging(path, "listing-2", resume=False) as staging:
        add(staging, 1, 0, ["a"])
    with Staging(path, "listing-2", resume=False) as staging:  # no --resume: start afresh
        assert staging.count() == 0
        staging.discard()
    assert not path.exists()


def test_adding_a_page_does_not_scan_the_items_already_stored(tmp_path: Path) -> None:
    """A page's cost must not grow with the listing (it made 100,000 rows quadratic once)."""
    with Staging(tmp_path / "j.sqlite", "f", resume=False) as staging:
        ids = [f"{n:030d}" for n in range(20_000)]
        staging.add_page(1, 0, 20_000, 20_000, 20_010, ids, [{"appointId": i} for i in ids])
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0  # go on

        staging.db.set_progress_handler(count, 100)  # called every 100 SQLite VM steps
        page = [f"{n:030d}" for n in range(19_995, 20_005)]  # 5 already seen, 5 new
        assert staging.add_page(1, 20_000, 10, 10, 20_010, page, [{}] * 10) == 5
        staging.db.set_progress_handler(None, 0)
    assert steps < 100  # < 10,000 VM steps for 10 items; a scan of the 20,000 takes far more


def test_a_reservation_listed_twice_with_other_values_is_a_conflict(tmp_path: Path) -> None:
    with Staging(tmp_path / "j.sqlite", "f", resume=False) as staging:
        staging.add_page(1, 0, 2, 2, 4, ["a", "b"], [{"v": 1}, {"v": 2}])
        staging.add_page(1, 2, 2, 3, 4, ["b", "c", "c"], [{"v": 2}, {"v": 3}, {"v": 3}])
        assert staging.conflicts(1) == 0  # the same values again: the list moved, no more
        staging.add_page(1, 4, 2, 3, 4, ["a", "d", "d"], [{"v": 9}, {"v": 4}, {"v": 5}])
        assert staging.conflicts(1) == 2  # "a" with other values; "d" twice on one page
        assert [i for i, _ in staging.items(1)] == ["a", "b", "c", "d"]
        assert [i for i, _ in staging.items(1, consistent=True)] == ["b", "c"]
        staging.start_sweep(2)
        staging.add_page(2, 0, 9, 4, 4, ["a", "b", "c", "d"], [{"v": 9}, {}, {}, {"v": 5}])
        assert staging.conflicts(2) == 0
        assert [i for i, _ in staging.items(2, consistent=True)] == ["a", "b", "c", "d"]
