"""What a misbehaving server sends back is bounded and scrubbed (hostile-cli p10, p11).

* An update's answer is read up to 64 KB: a 200 that is longer is a final failure
  (``answer_too_large``), not a success and not a 2 GB client; an error page that is longer
  is cut, and its status still decides (a 503 is retried).
* Whatever the server echoes of the Authorization header (the whole value, the signature
  alone) or of the secret key never reaches the results, the errors file, the journal, the
  run record or the screen.

Each against a hand-written server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

from tests.e2e import SK, invoke, read_results, simple_rows, write_config, write_csv
from tests.fakeserver import SUCCESS, fake_server

MB = 1024 * 1024


def run(tmp_path: Path, base_url: str, count: int = 3, **send: object) -> tuple[int, str]:
    write_csv(tmp_path / "in.csv", simple_rows(count))
    config = write_config(tmp_path / "c.toml", base_url, **send)
    result = invoke("run", str(tmp_path / "in.csv"), "-c", str(config), "--quiet", "--no-snapshot")
    return result.exit_code, result.output


def test_a_huge_success_answer_is_a_failed_row_not_read_and_not_retried(tmp_path: Path) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        await request.read()
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        await resp.prepare(request)  # chunked: no Content-Length to go by
        try:
            for _ in range(4):
                await resp.write(b" " * MB)
            await resp.write(SUCCESS)
            await resp.write_eof()
        except (ConnectionResetError, asyncio.CancelledError):
            pass  # the client hung up after 64 KB, as it should
        return resp

    with fake_server(huge) as fake:
        code, out = run(tmp_path, fake.base_url, concurrency=2, max_attempts=3)
        requests = len(fake.seen)
    assert code == 1, out
    rows = read_results(tmp_path / "in.results.csv")
    assert {r["status"] for r in rows} == {"failed"}
    assert {r["error_code"] for r in rows} == {"answer_too_large"}
    assert {r["attempts"] for r in rows} == {"1"}
    assert requests == 3  # final at once: the same server would answer the same
    assert "larger than 64 KB" in rows[0]["error"]
    assert "may or may not have applied" in rows[0]["error"]


def test_a_declared_huge_answer_is_not_read_at_all(tmp_path: Path) -> None:
    async def declared(request: web.Request) -> web.StreamResponse:
        await request.read()
        body = b" " * (2 * MB) + SUCCESS
        return web.Response(body=body, content_type="application/json")

    with fake_server(declared) as fake:
        code, out = run(tmp_path, fake.base_url, count=2)
    assert code == 1, out
    rows = read_results(tmp_path / "in.results.csv")
    assert [r["error_code"] for r in rows] == ["answer_too_large"] * 2


def test_a_long_error_page_is_cut_and_its_status_still_decides(tmp_path: Path) -> None:
    calls = {"n": 0}

    async def busy_then_ok(request: web.Request) -> web.StreamResponse:
        await request.read()
        calls["n"] += 1
        if calls["n"] == 1:
            return web.Response(status=503, text="<html>" + "busy " * 100_000 + "</html>")
        return web.Response(body=SUCCESS, content_type="application/json")

    with fake_server(busy_then_ok) as fake:
        code, out = run(tmp_path, fake.base_url, count=1, max_attempts=3)
    assert code == 0, out
    [row] = read_results(tmp_path / "in.results.csv")
    assert (row["status"], row["attempts"]) == ("succeeded", "2")


async def _echo(request: web.Request) -> web.StreamResponse:
    """Echo the Authorization header (or its signature, or a secret) in every answer field."""
    await request.read()
    auth = request.headers.get("Authorization", "")
    signature = auth.rpartition("/")[2]
    mode = request.path.strip("/").split("/")[0]
    if mode == "desc":
        body = f'{{"resultCode":"0200001","resultDesc":"bad sig {auth}"}}'
        return web.Response(text=body, content_type="application/json")
    if mode == "sigonly":
        body = (
            f'{{"resultCode":"0200001","resultDesc":"expected other than {signature}",'
            f'"returnCode":"0200001","returnDesc":"key {SK}"}}'
        )
        return web.Response(text=body, content_type="application/json")
    if mode == "page500":
        return web.Response(status=500, text=f"error for {auth} / {signature}")
    if mode == "reason":
        return web.Response(status=502, reason=f"Bad {signature}", text="")
    return web.Response(status=302, headers={"Location": f"http://x/?sig={signature}"})


def test_nothing_the_server_echoes_of_the_signature_or_the_secret_is_kept(
    tmp_path: Path,
) -> None:
    sent: list[str] = []

    async def handler(request: web.Request) -> web.StreamResponse:
        sent.append(request.headers.get("Authorization", ""))
        return await _echo(request)

    with fake_server(handler) as fake:
        for mode in ("desc", "sigonly", "page500", "reason", "redirect"):
            folder = tmp_path / mode
            folder.mkdir()
            code, out = run(folder, f"{fake.base_url}/{mode}", count=2, max_attempts=1)
            assert code == 1, (mode, out)
            rows = read_results(folder / "in.results.csv")
            assert {r["status"] for r in rows} == {"failed"}, mode
            kept = " ".join(r["resultDesc"] + r["returnDesc"] + r["error"] for r in rows)
            assert "***" in kept, (mode, rows)
            secrets = [SK, *sent, *(a.rpartition("/")[2] for a in sent)]
            for path in folder.iterdir():
                data = path.read_bytes()
                leaked = [s for s in secrets if s and s.encode() in data]
                assert not leaked, (mode, path.name)
            assert not [s for s in secrets if s and s in out], mode
