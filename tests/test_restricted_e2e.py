"""Restricted reports in Chromium, with the real OpenID Connect provider of test_auth_e2e: a reader, a
member of the finance group and an editor each see exactly what visibility allows on every page (chat,
commitments, figures, manage reports, questions asked); a report made restricted while a reader's chat
cites it is withdrawn from that chat; a `<script>` question is shown on the log page as text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from test_auth_e2e import SIDEBAR, TIMEOUT, nav_links, open_app, provider, shot, sign_in, start_app  # noqa: F401
from test_e2e import CARD, ask, launch_browser
from test_restricted import BRIEFING, DRAFT, EDITOR, EXEMPT, GROUPS, MEMBER, READER, restricted_library, who

from assistant.api import Assistant
from assistant.core.settings import Settings

TITLES = {EXEMPT: "Fostering Allowance Review", BRIEFING: "Members' Briefing", DRAFT: "Children's Services Savings"}
COST = "What was the average weekly cost of an external residential placement in December 2024?"
ELMSIDE = "How much would closing the Elmside respite unit save?"


def sees(page: Any, url: str, titles: set[str], hidden: set[str], commitment_ok: bool, measure: str,
         measure_ok: bool) -> None:
    """The sidebar's report list, the Commitments page and the Figures page show `titles`, never `hidden`."""
    from playwright.sync_api import expect

    sidebar = page.locator(SIDEBAR)
    for t in titles:
        expect(sidebar).to_contain_text(t, timeout=TIMEOUT)
    for t in hidden:
        expect(sidebar).not_to_contain_text(t)
    page.goto(url + "/Commitments", wait_until="domcontentloaded")
    search = page.get_by_label("Search actions, themes, measures and leads")
    search.fill("Foster Carer Retention Scheme")
    search.press("Enter")
    caption = page.get_by_text(re.compile(r"^\d+ of \d+ commitments$"))
    expect(caption).to_be_visible(timeout=TIMEOUT)
    expect(caption).to_have_text(re.compile(r"^[1-9]\d* of" if commitment_ok else r"^0 of"), timeout=TIMEOUT)
    page.goto(url + "/Figures", wait_until="domcontentloaded")
    find = page.get_by_label("Find a measure")
    find.fill(measure)
    find.press("Enter")
    if measure_ok:
        expect(page.get_by_role("heading", name=measure)).to_be_visible(timeout=TIMEOUT)
    else:
        expect(page.get_by_text("No measure matches")).to_be_visible(timeout=TIMEOUT)
    page.goto(url, wait_until="domcontentloaded")
    page.locator("textarea").first.wait_for(state="visible", timeout=TIMEOUT)


def test_each_person_sees_what_visibility_allows(provider: str, settings: Settings, bot: Assistant,  # noqa: F811
                                                 tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    lib = restricted_library(settings, tmp_path / "library")
    api = Assistant(lib)
    api._embedder = bot.embedder  # noqa: SLF001 - one model for the session
    # A measure only the members' briefing gives: the Figures page shows it to the signed-in only.
    only_briefing = [s.measure for s in api.figure_series(who(READER)) if set(s.sources) == {BRIEFING}]
    assert only_briefing and not [s for s in api.figure_series(who(None)) if s.measure in only_briefing]
    measure = only_briefing[0]
    server = start_app(lib, tmp_path / "app", f"{provider}/.well-known/openid-configuration",
                       ASSISTANT_EDITORS=EDITOR, ASSISTANT_GROUPS=json.dumps({k: list(v) for k, v in GROUPS.items()}))
    alerts: list[str] = []
    try:
        with sync_playwright() as p:
            # --- a reader: the members' briefing (signed-in), never the exempt report or the draft ----------
            reader = launch_browser(p, tmp_path / "reader")
            rpage = reader.new_page()
            rpage.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
            sign_in(rpage, server.url, READER)
            assert nav_links(rpage) == ["Ask the reports", "Commitments", "Figures", "Questions asked"]
            rchat = reader.new_page()  # a tab left open on its chat (a page load would start a new session)
            open_app(rchat, server.url)
            answer, _ = ask(rchat, COST)
            card = answer.locator(CARD).first
            expect(card).to_contain_text(TITLES[BRIEFING])
            expect(card).to_contain_text("visible to: signed-in users only")
            answer, _ = ask(rpage, ELMSIDE)
            expect(answer).not_to_contain_text("780,000")
            expect(answer).not_to_contain_text(TITLES[DRAFT])
            ask(rpage, "<script>alert('x')</script> What is the budget for road gritting?")
            sees(rpage, server.url, {TITLES[BRIEFING]}, {TITLES[EXEMPT], TITLES[DRAFT]}, False, measure, True)
            for hidden in ("Manage_reports", "Feedback"):
                rpage.goto(f"{server.url}/{hidden}", wait_until="domcontentloaded")
                rpage.locator("textarea").first.wait_for(state="visible", timeout=TIMEOUT)
                assert rpage.get_by_text("Who may see it").count() == 0
            rpage.goto(server.url + "/Questions_asked", wait_until="domcontentloaded")
            expect(rpage.get_by_text("Your questions (3)")).to_be_visible(timeout=TIMEOUT)
            # The table's cell holds the question as text (the grid draws it on a canvas): no script element.
            expect(rpage.get_by_text("<script>alert('x')</script> What is the budget for road gritting?")).to_be_attached()
            assert rpage.locator("script", has_text="alert('x')").count() == 0
            shot(rpage, "restricted-1-reader-questions")

            # --- a member of the finance group: the draft too ---------------------------------------------
            member = launch_browser(p, tmp_path / "member")
            mpage = member.new_page()
            sign_in(mpage, server.url, MEMBER)
            answer, _ = ask(mpage, ELMSIDE)
            expect(answer).to_contain_text("780,000")
            expect(answer.locator(CARD).first).to_contain_text("visible to: group finance only")
            sees(mpage, server.url, {TITLES[BRIEFING], TITLES[DRAFT]}, {TITLES[EXEMPT]}, False, measure, True)
            mpage.goto(server.url + "/Questions_asked", wait_until="domcontentloaded")
            expect(mpage.get_by_text("Your questions (1)")).to_be_visible(timeout=TIMEOUT)  # not the reader's
            member.close()

            # --- an editor: everything; makes the briefing editors-only on the Manage reports page ----------
            editor = launch_browser(p, tmp_path / "editor")
            epage = editor.new_page()
            epage.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
            sign_in(epage, server.url, EDITOR)
            sees(epage, server.url, set(TITLES.values()), set(), True, measure, True)
            epage.goto(server.url + "/Questions_asked", wait_until="domcontentloaded")
            expect(epage.get_by_text("All questions (4)")).to_be_visible(timeout=TIMEOUT)
            expect(epage.get_by_text(re.compile(r"^Not answered \(\d+\)$"))).to_be_visible()
            with epage.expect_download() as dl:
                epage.get_by_role("button", name="Download the questions as CSV").click()
            csv_text = Path(dl.value.path()).read_text(encoding="utf-8")
            assert "<script>alert('x')</script> What is the budget for road gritting?" in csv_text
            assert READER not in csv_text and MEMBER not in csv_text  # anonymous by default
            shot(epage, "restricted-2-editor-questions")
            epage.goto(server.url + "/Manage_reports", wait_until="domcontentloaded")
            card = epage.locator("[class*='st-key-doc-']").filter(has_text=f"file {BRIEFING}")
            expect(card).to_contain_text("visible to: signed-in users only", timeout=TIMEOUT)
            combo = card.get_by_role("combobox", name="Who may see it")
            option = epage.get_by_role("option", name=re.compile(r"^editors"))
            for _ in range(5):  # the page may still be running when first clicked: open the list until it shows
                combo.click()
                try:
                    option.wait_for(state="visible", timeout=10_000)
                    break
                except Exception:  # noqa: BLE001 - not open yet: click again
                    epage.keyboard.press("Escape")
            option.click()
            expect(epage.get_by_text(f"{BRIEFING} is now visible to: editors only")).to_be_visible(timeout=TIMEOUT)
            expect(card).to_contain_text("visible to: editors only")
            shot(epage, "restricted-3-editor-manage")
            editor.close()
            assert Assistant(lib).visibility_of(BRIEFING) == "editors"

            # --- the reader's chat: the briefing's answer withdrawn, the next answer without it -------------
            answer, _ = ask(rchat, COST)
            expect(rchat.get_by_text("This answer cited a report that is no longer open to you").first).to_be_visible()
            expect(answer).not_to_contain_text(TITLES[BRIEFING])
            assert rchat.locator(CARD).filter(has_text=TITLES[BRIEFING]).count() == 0  # the old card is gone
            shot(rchat, "restricted-4-reader-withdrawn")
            sees(rpage, server.url, set(), {TITLES[BRIEFING], TITLES[EXEMPT], TITLES[DRAFT]}, False, measure, False)
            reader.close()
    except BaseException:
        print(f"\n--- streamlit log ---\n{server.dump_threads()}")
        raise
    finally:
        server.stop()
    assert alerts == []
    entries = Assistant(lib).audit_entries(who(EDITOR))
    assert (entries[0].action, entries[0].actor, entries[0].outcome) == ("visibility", EDITOR, "done")


if __name__ == "__main__":
    pytest.main([__file__])
