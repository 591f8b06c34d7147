"""The volunteer's own pages: my page, sign-in on a new device, PIN, devices, card,
certificates; and the public certificate verification page."""

from __future__ import annotations

import json

from flask import (
    abort,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from volunteer_app import qr, sms
from volunteer_app.audit.labels import TEAM_AUDIT_LABELS, team_name
from volunteer_app.auth.scoping import own_certificate_or_404
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db, limiter
from volunteer_app.forms import ActionForm, show_errors
from volunteer_app.links import public_url, safe_next
from volunteer_app.localtime import utc_to_local
from volunteer_app.transactions import reads_first
from volunteer_app.volunteers import bp, cards, certificates, identity, privacy, records
from volunteer_app.volunteers.forms import (
    CertificateForm,
    DeleteAccountForm,
    MemberForm,
    PinForm,
    RegisterForm,
    SignInForm,
    SmsCodeForm,
)
from volunteer_app.volunteers.identity import Credentials
from volunteer_app.volunteers.models import Certificate
from volunteer_app.volunteers.rules import (
    FIELD_OF_CODE,
    compute_form_problems,
    describe_user_agent,
    normalize_phone,
)
from volunteer_app.volunteers.services import live_members
from volunteer_app.volunteers.session import (
    clear_device_cookie,
    device_key,
    set_device_cookie,
    volunteer_required,
)


def _no_store(response):
    """Personal pages are not kept in shared caches or the back-forward cache of others."""
    response.headers["Cache-Control"] = "no-store"
    return response


#: Where the PIN page, the deletion page and the certificate page show a refusal.
PIN_FIELDS = {
    "pin_format": "new_pin",
    "pin_too_simple": "new_pin",
    "pin_confirm": "confirm",
    "current_pin_wrong": "current_pin",
}
DELETE_FIELDS = {"confirm_required": "confirm", "pin_wrong": "pin", "pin_required": "pin"}
CERTIFICATE_FIELDS = {"period_invalid": "end", "period_future": "start", "period_too_long": "start"}


@bp.get("/me")
@volunteer_required
def me():
    """My page: hours, star level, history, devices, certificates."""
    return _me_page()


def _me_page(member_form: MemberForm | None = None, *, status: int = 200):
    """My page; ``member_form``: a refused family member's form, its errors beside its fields."""
    volunteer = g.volunteer
    history = records.history(volunteer.id)
    totals = records.totals(history)
    volunteer_corrections = records.corrections_of(volunteer.id)
    own = certificates.own_certificates(volunteer.id)
    response = make_response(
        render_template(
            "volunteers/me.html",
            volunteer=volunteer,
            history=history,
            totals=totals,
            level=records.star_level(volunteer, totals),
            devices=identity.devices_of(volunteer),
            this_device=g.device,
            members=live_members(volunteer.household),
            member_form=member_form or MemberForm(formdata=None),
            events=records.security_events(volunteer)[:30],
            certificates=own,
            certificate_states={c.id: certificates.certificate_state(c) for c in own},
            corrections=volunteer_corrections,
            open_correction_ids={
                c.checkin_id for c in volunteer_corrections if c.status.value == "open"
            },
        ),
        status,
    )
    return _no_store(response)


def _sign_in_page(form, *, status: int = 200, claim: bool = False, sent: bool = False):
    """The sign-in page; ``claim``: the number has no PIN yet (offer the SMS code if the
    district configured a gateway); ``sent``: a code was (perhaps) just sent."""
    sms_form = SmsCodeForm(formdata=None, phone=form.phone.data)
    return (
        render_template(
            "volunteers/sign_in.html",
            form=form,
            claim=claim,
            sent=sent,
            sms_form=sms_form if sms.gateway() is not None else None,
            reset=identity.reset_notice(device_key()),
        ),
        status,
    )


@bp.route("/me/sign-in", methods=["GET", "POST"])
@identity.pin_attempt_limit
@identity.probe_limit
@reads_first
def sign_in():
    """Sign in on a new device with mobile number and PIN (or an organizer's one-time code)."""
    form = SignInForm()
    valid = form.validate_on_submit()
    if request.method == "POST":
        problems = compute_form_problems(
            phone=form.phone.data or "",
            pin=form.pin.data or "",
            name="",
            consent=True,
            new_person=False,
        )
        problems.pop("pin", None)  # the number decides what a PIN must be: the service says
        show_errors(form, problems, FIELD_OF_CODE)
        valid = valid and not problems
    if not valid:
        return _sign_in_page(form, status=400 if request.method == "POST" else 200)
    now = utcnow()
    try:
        who = identity.identify(
            credentials=Credentials(phone=form.phone.data, pin=form.pin.data),
            register=False,
            remember=True,
            user_agent=request.user_agent.string,
            now=now,
            consent_version=current_app.config["CONSENT_VERSION"],
        )
    except DomainError as error:
        show_errors(form, error.problems or [error], FIELD_OF_CODE)
        return _sign_in_page(form, status=error.status, claim=error.code == "no_pin")
    if who.used_code or who.household.pin_hash is None:
        flash(_("Welcome. Please choose your new PIN now."), "info")
        target = url_for("volunteers.pin")
    elif who.volunteer is None:
        flash(_("Several volunteers use this phone. Choose who you are."), "info")
        target = url_for("volunteers.me") + "#people"
    else:
        flash(_("You are signed in on this device."), "success")
        target = safe_next(request.args.get("next")) or url_for("volunteers.me")
    response = redirect(target)
    set_device_cookie(response, who.new_device.key)
    return response


def _sms_number_key() -> str:
    """The per-number SMS budget's key: an HMAC of the number typed, never the number."""
    try:
        phone = normalize_phone(request.form.get("phone", ""))
    except DomainError:
        phone = "invalid"
    return "sms-number:" + identity.number_key(phone)


@bp.post("/me/sign-in/sms")
@limiter.limit(lambda: current_app.config["SMS_RATE_LIMIT_IP"], key_func=identity.ip_key("sms-ip"))
@limiter.limit(lambda: current_app.config["SMS_RATE_LIMIT_NUMBER"], key_func=_sms_number_key)
@reads_first
def send_code():
    """Send a one-time code by SMS to a number registered by others; the same answer for
    every number (known or not, with a PIN or not)."""
    gateway = sms.gateway()
    if gateway is None:
        abort(404)
    form = SmsCodeForm()
    sign_in_form = SignInForm(formdata=None, phone=form.phone.data)
    if not form.validate_on_submit():
        return _sign_in_page(sign_in_form, status=400, claim=True)
    try:
        phone = normalize_phone(form.phone.data)
    except DomainError as error:
        sign_in_form.form_errors.append(error.message)
        return _sign_in_page(sign_in_form, status=400, claim=True)
    identity.send_claim_code(phone, now=utcnow(), gateway=gateway)
    return _sign_in_page(sign_in_form, sent=True)


@bp.route("/me/pin", methods=["GET", "POST"])
@volunteer_required
@reads_first
def pin():
    """Choose a PIN (after a one-time code) or change it."""
    form = PinForm()
    volunteer = g.volunteer
    if form.validate_on_submit():
        try:
            identity.set_pin(
                volunteer,
                new_pin=form.new_pin.data,
                confirm=form.confirm.data,
                current_pin=form.current_pin.data,
                now=utcnow(),
                keep_device=g.device,
            )
        except DomainError as error:
            show_errors(form, error.problems or [error], PIN_FIELDS)
            return render_template(
                "volunteers/pin.html", form=form, volunteer=volunteer
            ), error.status
        flash(_("Your PIN has been saved."), "success")
        return redirect(url_for("volunteers.me"))
    status = 400 if request.method == "POST" else 200
    return render_template("volunteers/pin.html", form=form, volunteer=volunteer), status


@bp.post("/me/devices/<int:device_id>/sign-out")
@volunteer_required
def sign_out_device(device_id: int):
    """Sign one of my devices out (this one included)."""
    device = identity.revoke_device(g.volunteer, device_id, now=utcnow())
    if device is None:
        abort(404)
    if device.id == g.device.id:
        flash(_("This device has been signed out."), "info")
        response = redirect(url_for("volunteers.sign_in"))
        clear_device_cookie(response)
        return response
    flash(_("The device has been signed out."), "success")
    return redirect(url_for("volunteers.me") + "#devices")


@bp.post("/me/people/<int:volunteer_id>")
@volunteer_required
def switch_person(volunteer_id: int):
    """Show another person of this phone on this device (my page, the default check-in)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    person = identity.switch_person(g.device, volunteer_id)
    if person is None:
        abort(404)
    flash(_("This phone now shows %(name)s.", name=person.name), "success")
    return redirect(url_for("volunteers.me"))


@bp.post("/me/people")
@volunteer_required
def add_person():
    """Add a family member to this phone: their own name, hours and certificates."""
    form = MemberForm()
    status = 400
    if form.validate_on_submit():
        try:
            person = identity.add_person(
                g.device,
                name=form.name.data,
                minor=bool(form.minor.data),
                consent=bool(form.consent.data),
                now=utcnow(),
                consent_version=current_app.config["CONSENT_VERSION"],
            )
        except DomainError as error:
            show_errors(form, [error], FIELD_OF_CODE)
            status = error.status
        else:
            flash(_("%(name)s was added to this phone.", name=person.name), "success")
            return redirect(url_for("volunteers.me") + "#people")
    return _me_page(form, status=status)


@bp.get("/me/card")
@volunteer_required
def card():
    """My personal QR card, for an organizer's scanner; printable."""
    code = cards.issue_card(current_app.config["SECRET_KEY"], g.volunteer.card_key)
    return _no_store(
        make_response(
            render_template(
                "volunteers/card.html", volunteer=g.volunteer, qr_svg=qr.render_svg(code)
            )
        )
    )


@bp.post("/me/card/renew")
@volunteer_required
def renew_card():
    """Replace my card (lost or photographed): every earlier card stops working at once."""
    if not ActionForm().validate_on_submit():
        abort(400)
    cards.renew_card(g.volunteer, now=utcnow())
    flash(
        _("You have a new card. The old one, printed or photographed, no longer works."), "success"
    )
    return redirect(url_for("volunteers.card"))


@bp.route("/me/certificates", methods=["GET", "POST"])
@volunteer_required
def certificate_new():
    """Choose a period and issue a certificate of the confirmed hours in it."""
    form = CertificateForm()
    if request.method == "GET" and not form.start.data:
        today = utc_to_local(utcnow()).date()
        form.start.data = today.replace(month=1, day=1)
        form.end.data = today
    if form.validate_on_submit():
        try:
            certificate = certificates.issue(
                g.volunteer, start=form.start.data, end=form.end.data, now=utcnow()
            )
        except DomainError as error:
            show_errors(form, [error], CERTIFICATE_FIELDS)
            return render_template("volunteers/certificate_new.html", form=form), error.status
        return redirect(url_for("volunteers.certificate", certificate_id=certificate.id))
    status = 400 if request.method == "POST" else 200
    return render_template("volunteers/certificate_new.html", form=form), status


def verify_url(certificate: Certificate) -> str:
    """The absolute verification URL printed as a QR code on the certificate."""
    code = certificates.sign_code(current_app.config["SECRET_KEY"], certificate.id)
    return public_url("volunteers.verify", code=code)


@bp.get("/me/certificates/<int:certificate_id>")
@volunteer_required
def certificate(certificate_id: int):
    """The printable A4 certificate (only its holder sees it here)."""
    cert = own_certificate_or_404(g.volunteer, certificate_id)
    url = verify_url(cert)
    return _no_store(
        make_response(
            render_template(
                "volunteers/certificate.html",
                cert=cert,
                state=certificates.certificate_state(cert),
                verify_url=url,
                qr_svg=qr.render_svg(url),
            )
        )
    )


@bp.get("/v/<code>")
def verify(code: str):
    """Public verification of a certificate from its QR code."""
    certificate_id = certificates.verify_code(current_app.config["SECRET_KEY"], code)
    cert = db.session.get(Certificate, certificate_id)
    if cert is None:
        raise certificates.CertificateError("forged")
    status = 410 if cert.withdrawn_at else 200
    state = certificates.certificate_state(cert)
    return render_template("volunteers/verify.html", cert=cert, state=state), status


SECURITY_EVENT_LABELS = {
    "volunteer.pin_set": _l("PIN chosen or changed"),
    "volunteer.setup_code_issued": _l("An organizer gave a one-time code"),
    "volunteer.setup_code_used": _l("One-time code used to sign in"),
    "volunteer.device_signed_out": _l("A device was signed out"),
    "volunteer.card_renewed": _l("Volunteer card replaced (the old card no longer works)"),
    "volunteer.member_added": _l("A person was added to this phone"),
    "volunteer.walk_in": _l("Registered at a station's desk"),
    **TEAM_AUDIT_LABELS,  # the person's memberships (records.security_events)
}


def event_detail(entry) -> str:
    """Where an account event came from: the station (or SMS) of a one-time code, the desk
    where a PIN was typed; "reset" when a code replaced an existing PIN; the team of a
    membership change, and whether its leader or the station made it."""
    value = entry.new_value if isinstance(entry.new_value, dict) else {}
    parts = []
    if entry.action.startswith("team."):
        parts.append(team_name(entry))
        if entry.actor_user_id is not None:
            parts.append(_("by the station"))
        elif entry.actor_volunteer_id not in (None, entry.volunteer_id):
            parts.append(_("by the team leader"))
        return " · ".join(p for p in parts if p)
    if value.get("via") == "sms":
        parts.append(_("by SMS"))
    elif value.get("station"):
        parts.append(value["station"])
    if value.get("via") == "desk_pin":
        parts.append(_("PIN typed at the desk"))
    if value.get("reset"):
        parts.append(_("PIN reset"))
    return " · ".join(parts)


@bp.context_processor
def _labels():
    return {
        "security_event_label": lambda action: SECURITY_EVENT_LABELS.get(action, action),
        "event_detail": event_detail,
        "describe_user_agent": describe_user_agent,
    }


@bp.get("/me/export.json")
@volunteer_required
def export_json():
    """Download everything the app holds about me, as JSON."""
    body = json.dumps(privacy.export(g.volunteer), ensure_ascii=False, indent=2)
    return _download(body, "application/json", "my-volunteer-data.json")


@bp.get("/me/export.csv")
@volunteer_required
def export_csv():
    """Download my service records as CSV."""
    english = str(get_locale() or "zh").startswith("en")
    body = privacy.export_csv(g.volunteer, english=english)
    return _download(body, "text/csv", "my-service-records.csv")


def _download(body: str, mimetype: str, filename: str):
    response = make_response(body)
    response.mimetype = mimetype
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _no_store(response)


@bp.route("/me/delete", methods=["GET", "POST"])
@volunteer_required
@reads_first
def delete_account():
    """Delete my account: personal data goes, the records stay anonymously."""
    form = DeleteAccountForm()
    volunteer = g.volunteer
    if form.validate_on_submit():
        try:
            privacy.delete_account(
                volunteer, confirmed=bool(form.confirm.data), pin=form.pin.data, now=utcnow()
            )
        except DomainError as error:
            show_errors(form, error.problems or [error], DELETE_FIELDS)
            return render_template(
                "volunteers/delete.html", form=form, volunteer=volunteer
            ), error.status
        flash(_("Your account has been deleted. Thank you for your service."), "info")
        response = redirect(url_for("activities.home"))
        clear_device_cookie(response)
        return response
    status = 400 if request.method == "POST" else 200
    return render_template("volunteers/delete.html", form=form, volunteer=volunteer), status


@bp.route("/me/register", methods=["GET", "POST"])
@identity.pin_attempt_limit
@identity.probe_limit
@reads_first
def register():
    """Register with name, mobile number, PIN and consent (no check-in needed)."""
    form = RegisterForm()
    target = safe_next(request.args.get("next")) or url_for("volunteers.me")
    valid = form.validate_on_submit()
    if request.method == "POST":
        problems = compute_form_problems(
            phone=form.phone.data or "",
            pin=form.pin.data or "",
            name=form.name.data or "",
            consent=bool(form.consent.data),
            new_person=False,
        )
        problems.pop("pin", None)  # the number decides what a PIN must be: the service says
        show_errors(form, problems, FIELD_OF_CODE)
        valid = valid and not problems
    if not valid:
        status = 400 if request.method == "POST" else 200
        return render_template("volunteers/register.html", form=form), status
    now = utcnow()
    try:
        who = identity.identify(
            credentials=Credentials(
                phone=form.phone.data,
                pin=form.pin.data,
                name=form.name.data,
                consent=bool(form.consent.data),
            ),
            remember=True,
            user_agent=request.user_agent.string,
            now=now,
            consent_version=current_app.config["CONSENT_VERSION"],
        )
    except DomainError as error:
        show_errors(form, error.problems or [error], FIELD_OF_CODE)
        return render_template("volunteers/register.html", form=form), error.status
    if who.household.pin_hash is None:
        target = url_for("volunteers.pin")
    response = redirect(target)
    set_device_cookie(response, who.new_device.key)
    return response
