"""Intake pages: public web forms and webhooks (open to the world), and the staff pages
that go with them — the inquiries inbox, incoming calls, referrals, form and webhook set-up.

Public doors (``/f/<slug>/``, ``/hooks/<slug>/``) are posted from other sites,
so they are exempt from CSRF; they are protected instead by a body size cap,
rate limits counted in the database (429 with ``Retry-After``), and — for
forms — a honeypot and a signed minimum fill time, for webhooks an HMAC
signature.
"""

from __future__ import annotations

import html
import json
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leadflow.core.pagination import Page
from leadflow.core.proxies import client_ip
from leadflow.identity.matching import person_from
from leadflow.identity.normalise import normalise_phone
from leadflow.identity.selectors import match_candidates
from leadflow.intake import public, selectors
from leadflow.intake.forms import (
    CallForm,
    InquiryFilterForm,
    PublicForm,
    ReferralForm,
    WebFormSettingsForm,
    WebhookSourceForm,
)
from leadflow.intake.idempotency import IDEMPOTENCY_HEADER, idempotent_answer
from leadflow.intake.models import Channel, Inquiry, InquiryOutcome, WebForm, WebhookSource
from leadflow.intake.ratelimit import RateLimit, rate_limit_hit
from leadflow.intake.schemas import InquiryOut
from leadflow.intake.services import inquiry_submit
from leadflow.intake.webhooks import (
    SIGNATURE_HEADER,
    webhook_receive,
    webhook_sign,
    webhook_signature_valid,
    webhook_source_create,
    webhook_source_update,
)
from leadflow.leads.models import Lead
from leadflow.leads.services import lead_assign
from leadflow.sales.models import Contact
from leadflow.sales.selectors import contact_get
from leadflow.web.forms import add_service_error
from leadflow.web.shortcuts import AuthenticatedRequest, get_or_404, is_partial, page_links

SECTION = {"section": "inquiries"}

# Public doors: how much one request may carry, and how often one may knock.
# Read on each request so that a deployment (or a test) can change them.
PUBLIC_LIMITS = {
    "LEADFLOW_FORM_MAX_BYTES": 64 * 1024,
    "LEADFLOW_FORM_PER_IP": 20,
    "LEADFLOW_FORM_PER_IP_SECONDS": 600,
    "LEADFLOW_WEBHOOK_MAX_BYTES": 256 * 1024,
    "LEADFLOW_WEBHOOK_PER_MINUTE": 600,
}


def _limit(name: str) -> int:
    return int(getattr(settings, name, PUBLIC_LIMITS[name]))


def _too_large(request: HttpRequest, cap: int) -> bool:
    """Whether the body is over ``cap`` bytes — by its declared length, then by what came."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > cap:
        return True
    try:
        return len(request.body) > cap
    except RequestDataTooBig:
        return True


# --- Public web forms ------------------------------------------------------------


def _public_policy(webform: WebForm | None) -> str:
    """The app's CSP, except that any site may frame the form and it may send people on
    to the form's own thank-you page elsewhere."""
    directives: dict[str, str] = {}
    for part in settings.LEADFLOW_CSP.split(";"):
        name, _sep, value = part.strip().partition(" ")
        if name:
            directives[name] = value
    directives["frame-ancestors"] = "*"
    if webform is not None and webform.redirect_url:
        target = urlsplit(webform.redirect_url)
        directives["form-action"] = f"'self' {target.scheme}://{target.netloc}"
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


def _public(response: HttpResponse, webform: WebForm | None) -> HttpResponse:
    response["Content-Security-Policy"] = _public_policy(webform)
    response["Cache-Control"] = "no-store"
    return response


def _public_page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    webform: WebForm | None,
    status: int = 200,
) -> HttpResponse:
    return _public(render(request, template, context, status=status), webform)


def _public_webform(slug: str) -> WebForm:
    webform = public.webform_get_public(slug)
    if webform is None:
        raise Http404(_("There is no such form."))
    return webform


def _retry_later(request: HttpRequest, webform: WebForm, wait: int) -> HttpResponse:
    response = _public_page(
        request,
        "intake/public_message.html",
        {
            "webform": webform,
            "title": _("Please wait a moment"),
            "text": _(
                "We have received many submissions; please try again in %(minutes)d minute(s)."
            )
            % {"minutes": max(1, (wait + 59) // 60)},
        },
        webform=webform,
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def _form_context(webform: WebForm, form: PublicForm, notice: str = "") -> dict[str, Any]:
    return {
        "webform": webform,
        "form": form,
        "token": public.form_token(webform),
        "notice": notice,
        "honeypot": public.HONEYPOT_FIELD,
        "token_field": public.TOKEN_FIELD,
    }


def _thanks(webform: WebForm) -> HttpResponse:
    if webform.redirect_url:
        return redirect(webform.redirect_url)
    return redirect("intake:public_thanks", slug=webform.slug)


@csrf_exempt
@xframe_options_exempt
@require_http_methods(["GET", "POST"])
def public_form(request: HttpRequest, slug: str) -> HttpResponse:
    """``/f/<slug>/``: the standalone form page (GET) and its submissions (POST)."""
    webform = _public_webform(slug)
    if request.method == "GET":
        initial = {
            name: request.GET[name][:200] for name in public.UTM_PARAMETERS if request.GET.get(name)
        }
        page = request.GET.get("page", "")
        if page:
            # Embedded with the snippet's script: it names the page the visitor came
            # from (maybe none) and the page holding the form apart.
            initial[public.REFERRER_FIELD] = request.GET.get("ref", "")[:500]
            initial[public.PAGE_FIELD] = page[:500]
        else:
            initial[public.REFERRER_FIELD] = request.GET.get("ref") or request.META.get(
                "HTTP_REFERER", ""
            )
        form = PublicForm(initial=initial, webform=webform, consent_text=webform.consent_text)
        return _public_page(
            request, "intake/public_form.html", _form_context(webform, form), webform=webform
        )

    if _too_large(request, _limit("LEADFLOW_FORM_MAX_BYTES")):
        return _public_page(
            request,
            "intake/public_message.html",
            {
                "webform": webform,
                "title": _("Too much text"),
                "text": _("Please shorten your message and send it again."),
            },
            webform=webform,
            status=413,
        )
    ip = client_ip(request)
    wait = rate_limit_hit(
        [
            RateLimit(
                f"form-ip:{ip}",
                _limit("LEADFLOW_FORM_PER_IP"),
                _limit("LEADFLOW_FORM_PER_IP_SECONDS"),
            ),
            RateLimit(f"form:{webform.pk}", webform.submissions_per_hour, 3600),
        ]
    )
    if wait:
        return _retry_later(request, webform, wait)

    post = request.POST
    if post.get(public.HONEYPOT_FIELD):
        # Thank the robot as if it had worked, so it learns nothing.
        public.webform_reject(form=webform, post=post, reason=public.REASON_HONEYPOT, source_ip=ip)
        return _thanks(webform)

    form = PublicForm(post, webform=webform, consent_text=webform.consent_text)
    token = public.form_token_read(webform, post.get(public.TOKEN_FIELD, ""))
    now = timezone.now()
    too_fast = (
        token is not None and (now - token.served_at).total_seconds() < webform.min_fill_seconds
    )
    if token is None or too_fast:
        reason = public.REASON_BAD_TOKEN if token is None else public.REASON_TOO_FAST
        public.webform_reject(form=webform, post=post, reason=reason, source_ip=ip)
        form.is_valid()
        notice = _("Please check your details and send the form again.")
        return _public_page(
            request,
            "intake/public_form.html",
            _form_context(webform, form, notice),
            webform=webform,
            status=400,
        )

    if form.is_valid():
        referrer = form.cleaned_data.get(public.REFERRER_FIELD) or ""
        try:
            public.webform_submit(
                form=webform,
                values=form.values(),
                consent_given=bool(form.cleaned_data.get(public.CONSENT_FIELD)),
                consent_version=token.consent_version,
                utm=form.utm(),
                referrer_url=referrer,
                page_url=form.cleaned_data.get(public.PAGE_FIELD) or "",
                source_ip=ip,
            )
        except ValidationError as exc:
            add_service_error(form, exc)
        else:
            return _thanks(webform)
    return _public_page(
        request,
        "intake/public_form.html",
        _form_context(webform, form),
        webform=webform,
        status=400,
    )


@xframe_options_exempt
@require_GET
def public_thanks(request: HttpRequest, slug: str) -> HttpResponse:
    webform = _public_webform(slug)
    return _public_page(
        request,
        "intake/public_message.html",
        {
            "webform": webform,
            "title": _("Thank you"),
            "text": webform.thank_you_message
            or _("We have your message and will be in touch soon."),
        },
        webform=webform,
    )


# --- Webhooks --------------------------------------------------------------------


def _json_error(status: int, detail: Any) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, slug: str) -> HttpResponse:
    """``/hooks/<slug>/``: a signed JSON document from a source becomes an inquiry."""
    source = (
        WebhookSource.objects.select_related("channel", "campaign")
        .filter(slug=slug, is_active=True, channel__is_active=True)
        .first()
    )
    if source is None:
        return _json_error(404, _("Not found."))
    cap = _limit("LEADFLOW_WEBHOOK_MAX_BYTES")
    if _too_large(request, cap):
        return _json_error(413, _("The body is larger than %(size)d bytes.") % {"size": cap})
    body = request.body
    if not webhook_signature_valid(source, body, request.headers.get(SIGNATURE_HEADER, "")):
        return _json_error(
            401,
            _(
                "Missing or wrong %(header)s: send sha256=<hex HMAC-SHA256 of the body with the source's secret>."
            )
            % {"header": SIGNATURE_HEADER},
        )
    wait = rate_limit_hit(
        [RateLimit(f"hook:{source.pk}", _limit("LEADFLOW_WEBHOOK_PER_MINUTE"), 60)]
    )
    if wait:
        response = _json_error(429, _("Too many requests; try again later."))
        response["Retry-After"] = str(wait)
        return response
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _json_error(400, _("The body is not JSON."))
    if not isinstance(document, dict):
        return _json_error(400, _("The body must be a JSON object."))
    ip = client_ip(request)

    def answer() -> tuple[int, dict[str, Any]]:
        inquiry = webhook_receive(source=source, document=document, source_ip=ip)
        content = InquiryOut.from_orm(inquiry).model_dump(mode="json")
        return (200 if getattr(inquiry, "repeated", False) else 201), content

    try:
        status, content, replayed = idempotent_answer(
            scope=f"hook:{source.pk}",
            key=request.headers.get(IDEMPOTENCY_HEADER, "").strip(),
            body=document,
            answer=answer,
        )
    except ValidationError as exc:
        from leadflow.api import validation_issues

        return _json_error(422, validation_issues(exc, "body"))
    response = JsonResponse(content, status=status)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


# --- Where an inquiry entered by hand went ----------------------------------------


def _inquiry_destination(request: AuthenticatedRequest, inquiry: Inquiry, fallback: str) -> str:
    """The card the user should see next, with a message saying what became of the inquiry."""
    user = request.user
    if getattr(inquiry, "repeated", False):
        messages.info(request, _("This was already recorded a moment ago."))
    if inquiry.outcome == InquiryOutcome.REJECTED:
        messages.error(
            request, _("Not recorded as a lead: %(reason)s") % {"reason": inquiry.reason}
        )
        return fallback
    if inquiry.outcome == InquiryOutcome.INTEREST:
        messages.warning(
            request,
            _("Kept as anonymous interest: a lead needs a person's name and a way to reach them."),
        )
        return fallback
    if (
        inquiry.contact_id
        and Contact.objects.visible_to(user).filter(pk=inquiry.contact_id).exists()
    ):
        messages.success(request, _("Added to the customer's card; its owner has been told."))
        return reverse("sales:contact_detail", args=[inquiry.contact_id])
    if inquiry.lead_id and Lead.objects.visible_to(user).filter(pk=inquiry.lead_id).exists():
        if inquiry.outcome == InquiryOutcome.CREATED:
            messages.success(request, _("New lead created."))
        else:
            messages.success(
                request, _("Added to the card of a known person; its owner has been told.")
            )
        return reverse("leads:detail", args=[inquiry.lead_id])
    messages.success(
        request,
        _(
            "This person is already known to another team: the inquiry was added to their card and its owner told."
        ),
    )
    return fallback


# --- Incoming calls ----------------------------------------------------------------


def _phone_region() -> str:
    channel = Channel.objects.filter(slug="phone").first()
    return (channel.default_region if channel else "") or settings.LEADFLOW_DEFAULT_REGION


@login_required
@require_http_methods(["GET", "POST"])
def call_entry(request: AuthenticatedRequest) -> HttpResponse:
    """Quick entry of an incoming call: the number first, the caller's card found while typing."""
    form = CallForm(request.POST or None, initial={"phone": request.GET.get("phone", "")})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                inquiry = inquiry_submit(
                    actor=request.user,
                    channel=selectors.channel_by_slug("phone"),
                    fields=form.person_data(),
                    message=form.cleaned_data["message"],
                    payload={"call": form.person_data(), "notes": form.cleaned_data["message"]},
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                _rep_takes_new_lead(request.user, inquiry)
                return redirect(_inquiry_destination(request, inquiry, reverse("intake:call")))
    return render(request, "intake/call.html", {"section": "call", "form": form}, status=status)


def _rep_takes_new_lead(user: Any, inquiry: Inquiry) -> None:
    """A rep owns the lead a call they took created, as with a lead entered by hand —
    unless routing has already given it to someone."""
    if inquiry.outcome != InquiryOutcome.CREATED or not user.is_sales_rep or not inquiry.lead_id:
        return
    lead = Lead.objects.filter(pk=inquiry.lead_id, owner__isnull=True).first()
    if lead is not None:
        lead_assign(actor=user, lead=lead, owner=user, reason=_("Took the call"))


def visible_matches(user: Any, fields: dict[str, str]) -> list[dict[str, Any]]:
    """The known leads and contacts ``fields`` match that ``user`` may see, best first."""
    matches = match_candidates(person_from(fields))
    lead_ids = [match.lead_id for match in matches if match.lead_id]
    contact_ids = [match.contact_id for match in matches if match.contact_id]
    leads = Lead.objects.visible_to(user).select_related("owner").in_bulk(lead_ids)
    contacts = (
        Contact.objects.visible_to(user).select_related("owner", "company").in_bulk(contact_ids)
    )
    shown: list[dict[str, Any]] = []
    for match in matches:
        record = leads.get(match.lead_id) if match.lead_id else contacts.get(match.contact_id)
        if record is None:
            continue
        shown.append(
            {
                "record": record,
                "is_contact": match.contact_id is not None,
                "confidence": round(match.confidence * 100),
                "matched_on": sorted(
                    name for name, item in match.explanation.items() if item["weight"] > 0
                ),
            }
        )
    return shown


@login_required
@require_GET
def call_match(request: AuthenticatedRequest) -> HttpResponse:
    """HTMX: the cards the number (and name, if typed) being entered belongs to."""
    raw = request.GET.get("phone", "").strip()
    context: dict[str, Any] = {"phone": raw, "matches": [], "state": "empty"}
    if raw:
        try:
            phone = normalise_phone(raw, region=_phone_region())
        except ValidationError:
            context["state"] = "incomplete"
        else:
            fields = {"phone": phone}
            for name in ("first_name", "last_name", "email", "company_name"):
                value = request.GET.get(name, "").strip()
                if value and name != "email":
                    fields[name] = value
            context.update(
                phone=phone, matches=visible_matches(request.user, fields), state="checked"
            )
    return render(request, "intake/_call_matches.html", context)


# --- Referrals ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def refer(request: AuthenticatedRequest, contact_pk: int) -> HttpResponse:
    """A customer recommended someone: record them as a referral inquiry naming the customer."""
    contact = get_or_404(contact_get, user=request.user, pk=contact_pk)
    back = reverse("sales:contact_detail", args=[contact.pk])
    form = ReferralForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                inquiry = inquiry_submit(
                    actor=request.user,
                    channel=selectors.channel_by_slug("referral"),
                    fields=form.person_data(),
                    message=form.cleaned_data["message"],
                    referred_by=contact,
                )
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                return redirect(_inquiry_destination(request, inquiry, back))
    return render(
        request,
        "intake/refer.html",
        {"section": "contacts", "contact": contact, "form": form, "back_url": back},
        status=status,
    )


# --- The inquiries inbox -------------------------------------------------------------


def _check_inbox(user: Any) -> None:
    if not selectors.inquiry_inbox_allowed(user):
        raise PermissionDenied(
            _("The inquiries inbox is for marketers, heads of sales and admins.")
        )


@login_required
@require_GET
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    _check_inbox(request.user)
    form = InquiryFilterForm(request.GET or None)
    review = form.value("needs_review")
    error = ""
    try:
        page = selectors.inquiry_inbox(
            user=request.user,
            channel=form.value("channel"),
            outcome=form.value("outcome"),
            needs_review={"yes": True, "no": False}.get(review),
            cursor=request.GET.get("cursor") or None,
            limit=settings.LEADFLOW_PAGE_SIZE,
        )
    except ValidationError as exc:
        error = " ".join(exc.messages)
        page = Page([], None, None)
    counts = selectors.inquiry_outcome_counts(user=request.user, channel=form.value("channel"))
    context = {
        **SECTION,
        "form": form,
        "page": page,
        "error": error,
        "filtered": any(form.value(name) for name in ("channel", "outcome", "needs_review")),
        "counts": [(value, label, counts.get(value, 0)) for value, label in InquiryOutcome.choices],
        "count_days": selectors.INBOX_COUNT_DAYS,
        "can_manage_forms": public.webform_can_manage(request.user),
        "hx_target": "#inquiry-results",
        **page_links(request, page),
    }
    if is_partial(request):
        return render(request, "intake/_inquiry_results.html", context)
    return render(request, "intake/inbox.html", context)


# --- Web form set-up ------------------------------------------------------------------


def _check_forms(user: Any) -> None:
    if not public.webform_can_manage(user):
        raise PermissionDenied(_("Only marketers, heads of sales and admins manage web forms."))


def _webform_or_404(pk: int) -> WebForm:
    webform = WebForm.objects.select_related("channel", "campaign").filter(pk=pk).first()
    if webform is None:
        raise Http404(_("Not found."))
    return webform


@login_required
@require_GET
def webform_list(request: AuthenticatedRequest) -> HttpResponse:
    _check_forms(request.user)
    webforms = WebForm.objects.select_related("channel", "campaign").order_by("name")
    return render(request, "intake/webform_list.html", {**SECTION, "webforms": webforms})


@login_required
@require_http_methods(["GET", "POST"])
def webform_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    """Create (no ``pk``) or change a web form."""
    _check_forms(request.user)
    webform = _webform_or_404(pk) if pk is not None else None
    form = WebFormSettingsForm(
        request.POST or None, initial=WebFormSettingsForm.initial_for(webform)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if webform is None:
                    webform = public.webform_create(actor=request.user, **form.settings())
                    messages.success(request, _("Web form created."))
                else:
                    webform = public.webform_update(
                        actor=request.user, form=webform, **form.settings()
                    )
                    messages.success(request, _("Changes saved."))
            except (ValidationError, PermissionDenied) as exc:
                add_service_error(form, exc)
            else:
                return redirect("intake:webform_detail", pk=webform.pk)
    title = _("New web form") if webform is None else _("Edit %(form)s") % {"form": webform}
    return render(
        request,
        "intake/webform_form.html",
        {**SECTION, "form": form, "webform": webform, "title": title},
        status=status,
    )


@login_required
@require_GET
def webform_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _check_forms(request.user)
    webform = _webform_or_404(pk)
    url = request.build_absolute_uri(reverse("intake:public_form", args=[webform.slug]))
    # The script passes the host page's UTM parameters and referrer into the frame;
    # without it (or without JavaScript) the form still works, recording less. Its
    # address is the unhashed name, which stays the same when the script changes:
    # snippets pasted into other sites must keep working after an upgrade.
    static_url = str(settings.STATIC_URL)
    if "://" not in static_url:
        static_url = "/" + static_url.lstrip("/")
    script = request.build_absolute_uri(static_url.rstrip("/") + "/intake/embed.js")
    # Plain text (escaped again when shown): the snippet is HTML to copy, not to render.
    snippet = (
        f'<iframe data-leadflow-form src="{html.escape(url)}" title="{html.escape(webform.name)}"'
        ' width="100%" height="640" style="border:0;max-width:40rem" loading="lazy"></iframe>\n'
        f'<script src="{html.escape(script)}" async></script>'
    )
    return render(
        request,
        "intake/webform_detail.html",
        {
            **SECTION,
            "webform": webform,
            "public_url": url,
            "snippet": snippet,
            "consent_versions": list(reversed(webform.consent_versions)),
        },
    )


# --- Webhook set-up ---------------------------------------------------------------------


def _check_admin(user: Any) -> None:
    if not user.is_admin:
        raise PermissionDenied(_("Only admins manage webhooks."))


def _webhook_or_404(pk: int) -> WebhookSource:
    source = WebhookSource.objects.select_related("channel", "campaign").filter(pk=pk).first()
    if source is None:
        raise Http404(_("Not found."))
    return source


@login_required
@require_GET
def webhook_list(request: AuthenticatedRequest) -> HttpResponse:
    _check_admin(request.user)
    sources = WebhookSource.objects.select_related("channel", "campaign").order_by("name")
    return render(request, "intake/webhook_list.html", {**SECTION, "sources": sources})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: AuthenticatedRequest, pk: int | None = None) -> HttpResponse:
    _check_admin(request.user)
    source = _webhook_or_404(pk) if pk is not None else None
    form = WebhookSourceForm(
        request.POST or None,
        initial=WebhookSourceForm.initial_for(source),
        editing=source is not None,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                if source is None:
                    source = webhook_source_create(actor=request.user, **form.settings())
                    messages.success(request, _("Webhook created."))
                else:
                    source = webhook_source_update(
                        actor=request.user,
                        source=source,
                        new_secret=form.cleaned_data.get("new_secret", False),
                        **form.settings(),
                    )
                    messages.success(request, _("Changes saved."))
            except (ValidationError, PermissionDenied) as exc:
                add_service_error(form, exc)
            else:
                return redirect("intake:webhook_detail", pk=source.pk)
    title = _("New webhook") if source is None else _("Edit %(source)s") % {"source": source}
    return render(
        request,
        "intake/webhook_form.html",
        {**SECTION, "form": form, "source": source, "title": title},
        status=status,
    )


@login_required
@require_GET
def webhook_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    _check_admin(request.user)
    source = _webhook_or_404(pk)
    url = request.build_absolute_uri(reverse("intake:webhook", args=[source.slug]))
    example = json.dumps({path: "…" for path in source.field_mapping} or {"email": "…"})
    return render(
        request,
        "intake/webhook_detail.html",
        {
            **SECTION,
            "source": source,
            "hook_url": url,
            "signature_header": SIGNATURE_HEADER,
            "example_body": example,
            "example_signature": webhook_sign(source.secret, example.encode()),
        },
    )
