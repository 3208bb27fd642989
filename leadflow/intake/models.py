from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from leadflow.core.models import TimeStampedModel
from leadflow.core.schema import filled_index


class OriginClass(models.TextChoices):
    """Where a lead comes from, in the sales sense (not the technical channel)."""

    SEED = "seed", _("Seed (word of mouth, referral)")
    NET = "net", _("Net (inbound marketing)")
    SPEAR = "spear", _("Spear (targeted outbound)")


class ChannelKind(models.TextChoices):
    WEB_FORM = "web_form", _("Web form")
    API = "api", _("API")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    IMPORT = "import", _("Import")
    CHAT = "chat", _("Chat")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event")
    SOCIAL = "social", _("Social network")
    MANUAL = "manual", _("Manual entry")
    THIRD_PARTY = "third_party", _("Third party")


class Channel(TimeStampedModel):
    """A door requests come through. Every lead and inquiry names one."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ChannelKind.choices)
    origin_class = models.CharField(
        _("origin class"), max_length=10, choices=OriginClass.choices, default=OriginClass.NET
    )
    default_region = models.CharField(
        _("default phone region"),
        max_length=2,
        blank=True,
        help_text=_("Two-letter country code for numbers written without one."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.name


class Campaign(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    budget = models.DecimalField(
        _("budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    target_leads = models.PositiveIntegerField(_("target lead count"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name


class InquiryOutcome(models.TextChoices):
    CREATED = "created", _("New lead")
    ATTACHED = "attached", _("Attached to a known person")
    INTEREST = "interest", _("Anonymous interest")
    REJECTED = "rejected", _("Rejected")


class Inquiry(models.Model):
    """One inbound touch from any channel, kept as it arrived.

    Written once by ``intake.services.inquiry_submit`` with its outcome; only
    the links to the person's cards change later (a merge moves them to the
    surviving lead).
    """

    received_at = models.DateTimeField(_("received at"), db_index=True)
    # Indexed by ``inquiry_channel_time``, whose first column it is.
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        related_name="inquiries",
        db_index=False,
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
        db_index=False,
    )
    payload = models.JSONField(_("as received"), default=dict)
    fields = models.JSONField(_("person fields"), default=dict, blank=True)
    custom = models.JSONField(_("custom attributes"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    utm = models.JSONField(_("UTM parameters"), default=dict, blank=True)
    referrer_url = models.CharField(_("referring page"), max_length=500, blank=True)
    consent_text = models.TextField(_("consent text shown"), blank=True)
    consent_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    # 16 hex digits (``services.inquiry_fingerprint``); the column is wider,
    # as it was for the full digest, since narrowing it would copy the table.
    fingerprint = models.CharField(_("fingerprint"), max_length=64, db_index=True)
    source_ref = models.CharField(
        _("sender's reference"),
        max_length=255,
        blank=True,
        db_index=True,
        help_text=_("The sending system's own id for it, such as an e-mail's Message-ID."),
    )
    source_ip = models.GenericIPAddressField(_("sender IP address"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    outcome = models.CharField(_("outcome"), max_length=10, choices=InquiryOutcome.choices)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    lead = models.ForeignKey(
        "leads.Lead",
        verbose_name=_("lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
    )
    contact = models.ForeignKey(
        "sales.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
        db_index=False,
    )
    interest = models.ForeignKey(
        "leads.Interest",
        verbose_name=_("interest"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inquiries",
        db_index=False,
    )
    referred_by = models.ForeignKey(
        "sales.Contact",
        verbose_name=_("referred by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
        db_index=False,
    )
    match_confidence = models.FloatField(_("match confidence"), null=True, blank=True)
    match_explanation = models.JSONField(_("fields matched"), default=dict, blank=True)
    needs_review = models.BooleanField(
        _("needs review"),
        default=False,
        help_text=_("Attached on a probable (not certain) match: someone should confirm."),
    )

    class Meta:
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")
        indexes = [
            models.Index(fields=["channel", "received_at"], name="inquiry_channel_time"),
            models.Index(fields=["outcome", "received_at"], name="inquiry_outcome_time"),
            filled_index("campaign", "inquiry_campaign"),
            filled_index("submitted_by", "inquiry_submitted_by"),
            filled_index("contact", "inquiry_contact"),
            filled_index("interest", "inquiry_interest"),
            filled_index("referred_by", "inquiry_referred_by"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.received_at:%Y-%m-%d %H:%M} {self.outcome}"


class IdempotencyRecord(models.Model):
    """The first answer to a request carrying an ``Idempotency-Key``, replayed for retries."""

    key = models.CharField(_("key"), max_length=255)
    scope = models.CharField(_("scope"), max_length=100, help_text=_("Who sent it."))
    request_hash = models.CharField(_("request hash"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    response = models.JSONField(_("response"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_once"),
        ]

    def __str__(self) -> str:
        return self.key


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ImportJob(TimeStampedModel):
    """One file of leads being imported, with a checkpoint that moves one batch at a time.

    Every batch commits its leads, inquiries, match keys, events, row results
    and the new ``rows_done`` in one transaction, so after a crash the job
    resumes at ``rows_done`` and nothing is half written
    (``leadflow.intake.importing``).
    """

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=255)
    file_path = models.CharField(_("stored file"), max_length=1000)
    file_sha256 = models.CharField(_("file checksum"), max_length=64, db_index=True)
    file_size = models.PositiveBigIntegerField(_("file size"), default=0)
    mapping = models.JSONField(
        _("column mapping"),
        default=dict,
        blank=True,
        help_text=_("Column header → lead field; columns not named here become custom attributes."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    rows_estimated = models.PositiveIntegerField(_("rows expected"), null=True, blank=True)
    created = models.PositiveIntegerField(_("created"), default=0)
    attached = models.PositiveIntegerField(_("attached"), default=0)
    interest = models.PositiveIntegerField(_("interest"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # When the latest run began and how many rows were done then: the pace
    # of a resumed job counts from there, not across the pause.
    run_started_at = models.DateTimeField(_("latest run started at"), null=True, blank=True)
    run_first_row = models.PositiveIntegerField(
        _("rows done when the latest run started"), default=0
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.file_name


class ImportBatch(models.Model):
    """The row results of one committed batch of an import, as lines of the results file."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="batches")
    first_row = models.PositiveIntegerField(_("first row"))
    last_row = models.PositiveIntegerField(_("last row"))
    results = models.TextField(_("row results (CSV lines)"))

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        constraints = [
            models.UniqueConstraint(fields=["job", "first_row"], name="importbatch_once"),
        ]

    def __str__(self) -> str:
        return f"{self.job_id}: rows {self.first_row}–{self.last_row}"


class WebForm(TimeStampedModel):
    """A public form served at ``/f/<slug>/``, set up by marketing, embeddable in any site.

    ``fields`` lists the person fields it asks for, in order, as
    ``{"name": "email", "required": true}`` (``message`` is allowed too).
    Changing the consent wording makes a new version; every version stays in
    ``consent_versions`` so an inquiry can store the exact text its sender saw.
    """

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    fields = models.JSONField(_("fields offered"), default=list, blank=True)
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="web_forms"
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="web_forms",
    )
    consent_text = models.TextField(_("consent text"), blank=True)
    consent_required = models.BooleanField(_("consent required"), default=False)
    consent_version = models.PositiveIntegerField(_("consent text version"), default=0)
    consent_versions = models.JSONField(_("consent text history"), default=list, blank=True)
    thank_you_message = models.TextField(_("thank-you message"), blank=True)
    redirect_url = models.URLField(_("redirect after sending"), max_length=500, blank=True)
    min_fill_seconds = models.PositiveSmallIntegerField(_("minimum fill time (seconds)"), default=3)
    submissions_per_hour = models.PositiveIntegerField(
        _("submissions per hour"),
        default=300,
        help_text=_("More than this from everyone together are refused until the hour is over."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("web form")
        verbose_name_plural = _("web forms")

    def __str__(self) -> str:
        return self.name


class WebhookSource(TimeStampedModel):
    """A system (a chat bot, a partner) that posts JSON to ``/hooks/<slug>/``, signed with HMAC.

    ``field_mapping`` maps a dotted path in the posted JSON to a lead field
    (``{"contact.email": "email"}``) or to ``message``; everything else in the
    body is kept as custom attributes.
    """

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        related_name="webhook_sources",
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_sources",
    )
    field_mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    secret = models.CharField(_("signing secret"), max_length=128)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("webhook source")
        verbose_name_plural = _("webhook sources")

    def __str__(self) -> str:
        return self.name


class RateLimitWindow(models.Model):
    """How many requests one key (an address, a form) made in one fixed time window.

    In the database so that every serving process counts the same requests.
    """

    key = models.CharField(_("key"), max_length=200)
    window_start = models.DateTimeField(_("window start"))
    hits = models.PositiveIntegerField(_("hits"), default=0)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("rate limit window")
        verbose_name_plural = _("rate limit windows")
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ratelimit_window_once"),
        ]

    def __str__(self) -> str:
        return f"{self.key} @ {self.window_start:%H:%M:%S}: {self.hits}"
