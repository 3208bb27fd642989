"""One walk through the real UI in headless Chromium, against a live server.

A rep logs in, enters a lead by hand, converts it into a deal, then drags the
deal's card to another column of the board with a real mouse drag (SortableJS
listens to real pointer and drag events, so nothing is faked in the page).
The move must reach the database and survive a reload.

Playwright uses Debian's Chromium; it cannot download its own. Without
/usr/bin/chromium the test is skipped on a workstation and fails in CI
(CI=true), so a broken CI image cannot pass silently.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from leadflow.accounts.models import Role
from leadflow.core.tests.browser import chromium_context, wait_until
from leadflow.factories import make_team, make_user
from leadflow.leads.models import Lead
from leadflow.sales.models import Deal, Stage

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    with chromium_context(chromium, width=1400, height=900) as context:
        yield context.new_page()


# The live server thread must see the test's rows, so no wrapping transaction;
# serialized rollback puts back the data migrations' rows (channels, pipeline).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rep_enters_a_lead_converts_it_and_drags_the_deal_on_the_board(
    live_server: Any, page: Any
) -> None:
    make_user("rhys", Role.SALES_REP, make_team("North"))
    page.on("dialog", lambda dialog: dialog.accept())
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Log in.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "rhys")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/leads/")

    # Enter a lead by hand.
    page.click("text=New lead")
    page.select_option("#id_channel", "phone")
    page.fill("#id_first_name", "Gwen")
    page.fill("#id_last_name", "Browserton")
    page.fill("#id_email", "gwen@cardiff.example")
    page.fill("#id_company_name", "Cardiff Kites")
    page.click("button:has-text('Create lead')")
    page.wait_for_selector("h1:has-text('Gwen Browserton')")
    lead = Lead.objects.get(last_name="Browserton")
    assert lead.owner is not None and lead.owner.username == "rhys"

    # Convert it: the form opens in the card's action panel.
    page.click(f"a[href='/leads/{lead.pk}/convert/']")
    page.wait_for_selector("#action-panel form")
    page.fill("#action-panel [name=deal_title]", "Kites for Cardiff")
    page.fill("#action-panel [name=amount]", "2500")
    page.click("#action-panel button[type=submit]")
    page.wait_for_selector("h1:has-text('Kites for Cardiff')")
    deal = Deal.objects.select_related("stage").get(title="Kites for Cardiff")
    assert deal.stage.slug == "prospecting"

    # Open the board and drag the card from Prospecting to Presentation.
    page.click("nav.mainnav >> text=Deals")
    page.wait_for_selector("[data-board][data-ready]")
    target = Stage.objects.get(pipeline=deal.pipeline, slug="presentation")
    card = page.locator(f"#deal-{deal.pk}")
    column = page.locator(f"ul[data-stage-id='{target.pk}']")
    assert page.locator(f"ul[data-stage-id='{deal.stage_id}'] #deal-{deal.pk}").count() == 1
    drag(page, card, column)

    page.wait_for_selector("#flash .message--success")
    wait_until(lambda: Deal.objects.get(pk=deal.pk).stage_id == target.pk)
    deal.refresh_from_db()
    assert deal.version == 2

    # After a reload the card is still in its new column.
    page.reload()
    page.wait_for_selector("[data-board][data-ready]")
    assert column.locator(f"#deal-{deal.pk}").count() == 1
    assert errors == []


def drag(page: Any, source: Any, target: Any) -> None:
    """A real pointer drag: press on the card, move in steps over the column, release."""
    start = source.bounding_box()
    end = target.bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + 12)
    page.mouse.down()
    steps = 12
    for step in range(1, steps + 1):
        x = start["x"] + start["width"] / 2
        x += (end["x"] + end["width"] / 2 - x) * step / steps
        y = start["y"] + 12 + (end["y"] + 40 - start["y"] - 12) * step / steps
        page.mouse.move(x, y)
        page.wait_for_timeout(30)
    page.mouse.up()
