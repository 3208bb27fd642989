"""In a real browser: a form embedded in another site with the set-up page's snippet records
the host page's UTM parameters, the page the visitor came from and the page holding the form.

The other site is a small HTTP server on loopback (another origin than Leadflow's
live server); the snippet is copied from the web form's set-up page as a marketer would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from leadflow.accounts.models import Role
from leadflow.core.tests.browser import chromium_context, wait_until
from leadflow.factories import channel, make_user
from leadflow.intake import public
from leadflow.intake.models import Inquiry, InquiryOutcome

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class HostSite:
    """Another organisation's web site: pages by path, served on 127.0.0.1."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        pages = self.pages

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = pages.get(self.path.split("?", 1)[0])
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> HostSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def host_site() -> Iterator[HostSite]:
    with HostSite() as site:
        yield site


@pytest.fixture
def browser_context(chromium: Any) -> Iterator[Any]:
    with chromium_context(chromium, width=1024, height=900) as context:
        yield context


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_embed_snippet_passes_the_host_pages_utm_and_referrer_into_the_form(
    live_server: Any, browser_context: Any, host_site: HostSite
) -> None:
    mia = make_user("mia", Role.MARKETER)
    webform = public.webform_create(
        actor=mia,
        name="Ask for a quote",
        slug="quote",
        fields=[
            {"name": "first_name", "required": True},
            {"name": "last_name", "required": True},
            {"name": "email", "required": True},
        ],
        channel=channel("web-form"),
        min_fill_seconds=1,
        thank_you_message="Diolch! We will call you back.",
    )
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # The marketer copies the snippet from the form's set-up page.
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "mia")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/inquiries/forms/{webform.pk}/")
    snippet = page.input_value("#snippet")
    assert "<script src=" in snippet and "/static/intake/embed.js" in snippet

    # …and pastes it into a landing page of the company's own site.
    host_site.pages["/blog/kites.html"] = (
        '<!doctype html><html><body><a id="go" '
        'href="/landing.html?utm_source=newsletter&utm_campaign=spring&utm_medium=email'
        '&other=private">Get a quote</a></body></html>'
    )
    host_site.pages["/landing.html"] = (
        f"<!doctype html><html><head><title>Kites</title></head><body><h1>Kites</h1>"
        f"{snippet}</body></html>"
    )

    # A visitor reads a blog post, follows the newsletter link to the landing page…
    visitor = browser_context.new_page()
    visitor.on("pageerror", lambda error: errors.append(str(error)))
    visitor.goto(f"{host_site.url}/blog/kites.html")
    visitor.click("#go")
    visitor.wait_for_url("**/landing.html?*")
    frame_element = visitor.wait_for_selector("iframe[data-leadflow-form][data-leadflow-forwarded]")
    frame = frame_element.content_frame()
    frame.wait_for_url("**utm_source=newsletter**")
    frame.wait_for_selector("#id_first_name")

    # …and fills in the form inside the frame.
    frame.fill("#id_first_name", "Carys")
    frame.fill("#id_last_name", "Llewellyn")
    frame.fill("#id_email", "carys@example.com")
    visitor.wait_for_timeout(1200)  # longer than the form's minimum fill time
    frame.click("button[type=submit]")
    frame.wait_for_selector("text=Diolch! We will call you back.")

    wait_until(lambda: Inquiry.objects.exists())
    inquiry = Inquiry.objects.get()
    assert inquiry.outcome == InquiryOutcome.CREATED
    assert inquiry.utm == {
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring",
    }
    assert inquiry.referrer_url == f"{host_site.url}/blog/kites.html"
    # The page the form sat on, without its query string.
    assert inquiry.payload["page_url"] == f"{host_site.url}/landing.html"
    assert errors == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_utm_and_referrer_of_the_landing_page_reach_a_form_on_a_later_page(
    live_server: Any, browser_context: Any, host_site: HostSite
) -> None:
    webform = public.webform_create(
        actor=make_user("mia", Role.MARKETER),
        name="Contact us",
        slug="contact",
        fields=[{"name": "first_name", "required": True}, {"name": "email", "required": True}],
        channel=channel("web-form"),
        min_fill_seconds=0,
        thank_you_message="Thank you.",
    )
    # The snippet as the set-up page gives it (the test above copies it from there).
    snippet = (
        f'<iframe data-leadflow-form src="{live_server.url}/f/{webform.slug}/" width="100%" '
        f'height="640"></iframe><script src="{live_server.url}/static/intake/embed.js" async>'
        "</script>"
    )
    with HostSite() as search_site:
        # A search result on another site leads to a tagged landing page…
        search_site.pages["/results.html"] = (
            f'<!doctype html><html><body><a id="go" href="{host_site.url}/landing.html'
            '?utm_source=search&utm_medium=cpc&utm_campaign=kites">Kites</a></body></html>'
        )
        host_site.pages["/landing.html"] = (
            '<!doctype html><html><body><h1>Kites</h1><a id="contact" href="/contact.html">'
            f"Contact us</a>{snippet}</body></html>"
        )
        # …whose link takes the visitor to the contact page holding the form.
        host_site.pages["/contact.html"] = f"<!doctype html><html><body>{snippet}</body></html>"
        visitor = browser_context.new_page()
        errors: list[str] = []
        visitor.on("pageerror", lambda error: errors.append(str(error)))
        visitor.goto(f"{search_site.url}/results.html")
        visitor.click("#go")
        visitor.wait_for_selector("iframe[data-leadflow-form][data-leadflow-forwarded]")
        visitor.click("#contact")
        visitor.wait_for_url("**/contact.html")
        element = visitor.wait_for_selector("iframe[data-leadflow-form][data-leadflow-forwarded]")
        assert "utm_source=search" in (element.get_attribute("src") or "")
        # The frame has gone to the address the script gave it (not still the first one).
        frame = None
        for _ in range(150):
            frame = next((f for f in visitor.frames if "utm_source=search" in f.url), None)
            if frame is not None:
                break
            visitor.wait_for_timeout(100)

        def shown() -> list[tuple[str, str]]:
            frames = []
            for f in visitor.frames[1:]:
                try:
                    frames.append((f.url, f.content()[:1500]))
                except Exception as exc:  # detached meanwhile
                    frames.append((f.url, repr(exc)))
            return frames

        assert frame is not None, f"the frame never went to the forwarded address: {shown()}"
        try:
            frame.wait_for_selector("#id_first_name", timeout=15_000)
        except Exception as exc:  # what the frame shows instead, to tell why
            raise AssertionError(f"no form in the frame; frames: {shown()}") from exc
        frame.fill("#id_first_name", "Ffion")
        frame.fill("#id_email", "ffion@example.com")
        frame.click("button[type=submit]")
        frame.wait_for_selector("text=Thank you.")

    wait_until(lambda: Inquiry.objects.exists())
    inquiry = Inquiry.objects.get()
    assert inquiry.utm == {"utm_source": "search", "utm_medium": "cpc", "utm_campaign": "kites"}
    # The site the visit came from, not the landing page that linked to the form
    # (browsers tell another site only the origin of the page a link was on).
    assert inquiry.referrer_url == f"{search_site.url}/"
    assert inquiry.payload["page_url"] == f"{host_site.url}/contact.html"
    assert errors == []
