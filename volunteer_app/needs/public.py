"""The resident's pages, without an account: ordering a service (``/needs/new``) and the
order's tracking page (``/n/<code>``) with its log, 催单, 撤单 and 评单.

The tracking code carries the order's random ``tracking_key`` sealed with the app's secret
(``codes.seal``, purpose ``need.v1``), never its id; a forged or altered code is a 404, as an
unknown one. Whoever holds the link acts as the resident, so the page shows the contact's
number masked and never the exact address. Ordering is limited per client address, per
number and per service address (``NEED_RATE_LIMIT_*``), counting only orders placed.
"""

from __future__ import annotations

import hashlib
import re

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from volunteer_app.activities.models import Category
from volunteer_app.auth.models import User
from volunteer_app.auth.scoping import visible_units
from volunteer_app.codes import seal, unseal
from volunteer_app.database import utcnow
from volunteer_app.errors import DomainError
from volunteer_app.extensions import db, limiter
from volunteer_app.forms import ActionForm, show_errors
from volunteer_app.localtime import utc_to_local
from volunteer_app.needs import bp, menu, menu_rules, rules, services
from volunteer_app.needs.forms import OrderForm, ProxyOrderForm, RateForm
from volunteer_app.needs.labels import AUDIENCE_LABELS, STATUS_LABELS, STEP_LABELS
from volunteer_app.needs.menu_rules import MenuError
from volunteer_app.needs.models import DayPart, Need, ServiceItem
from volunteer_app.needs.rules import Step
from volunteer_app.needs.services import Actor
from volunteer_app.params import parse_id
from volunteer_app.stations.models import Unit, UnitLevel
from volunteer_app.volunteers.identity import ip_key, number_key

PURPOSE = "need.v1"


def tracking_code(need: Need) -> str:
    """The code of the order's tracking link."""
    return seal(current_app.config["SECRET_KEY"], PURPOSE, need.tracking_key)


def _need_or_404(code: str) -> Need:
    """The order a tracking code names; 404 for a forged, altered or unknown one."""
    key = unseal(current_app.config["SECRET_KEY"], PURPOSE, code)
    need = services.by_tracking_key(key) if key else None
    if need is None:
        abort(404)
    return need


def _stations() -> list[Unit]:
    """The stations a resident may order from: live ones, by centre and name."""
    return list(
        db.session.scalars(
            select(Unit)
            .where(Unit.level == UnitLevel.STATION, Unit.archived_at.is_(None))
            .order_by(Unit.parent_id, Unit.name)
        )
    )


def _phone_key() -> str:
    """The limiter's key for the number typed in the order form (an HMAC, never the number)."""
    digits = re.sub(r"\D", "", request.form.get("contact_phone", ""))
    return "need-phone:" + number_key(digits)


def _address_key() -> str:
    """The limiter's key for the service address typed (a hash of it, spaces removed)."""
    address = re.sub(r"\s", "", request.form.get("address", ""))
    return "need-address:" + hashlib.sha256(address.encode("utf-8")).hexdigest()[:32]


def _placed(response) -> bool:
    """Only an order placed counts against the limits (a form sent back does not)."""
    return response.status_code == 302


def _order_page(
    form: OrderForm,
    stations: list[Unit],
    *,
    item: ServiceItem | None = None,
    status: int = 200,
):
    """The order form, with the chosen station's service menu (its items and those of the
    units above it) and the item being ordered, if any."""
    station = next((s for s in stations if s.id == form.station.data), None)
    items = list(db.session.scalars(menu.station_menu(station.id))) if station else []
    page = render_template(
        "needs/new.html",
        form=form,
        station=station,
        stations=stations,
        items=items,
        item=item,
        audience_labels=AUDIENCE_LABELS,
        is_bookable=menu_rules.is_bookable,
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _chosen_item(form: OrderForm, stations: list[Unit]) -> ServiceItem | None:
    """The menu item the form orders (the link's ``?item=`` on GET, the hidden field once
    posted), if the chosen station offers it; a GET prefills the title and the kind of
    service from it, or says why it cannot be booked and leaves it out."""
    if request.method == "GET":
        form.item.data = request.args.get("item", "")
    item_id = parse_id(form.item.data) if form.item.data else None
    station = next((s for s in stations if s.id == form.station.data), None)
    if item_id is None or station is None:
        form.item.data = ""
        return None
    item = menu.offered_at(station.id, item_id)
    if request.method == "GET":
        try:
            menu_rules.validate_booking(
                withdrawn=item is not None and item.withdrawn_at is not None,
                remaining=item.remaining if item is not None else None,
                offered_here=item is not None,
            )
        except MenuError as error:
            form.form_errors.append(error.message)
            form.item.data = ""
            return None
        form.title.data = form.title.data or item.title
        form.category.data = item.category_id
    return item


@bp.route("/needs/new", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["NEED_RATE_LIMIT_IP"],
    key_func=ip_key("need-ip"),
    methods=["POST"],
    deduct_when=_placed,
)
@limiter.limit(
    lambda: current_app.config["NEED_RATE_LIMIT_NUMBER"],
    key_func=_phone_key,
    methods=["POST"],
    deduct_when=_placed,
)
@limiter.limit(
    lambda: current_app.config["NEED_RATE_LIMIT_ADDRESS"],
    key_func=_address_key,
    methods=["POST"],
    deduct_when=_placed,
    exempt_when=lambda: not request.form.get("address", "").strip(),
)
def new():
    """Order a service from a station, without an account (a poster preselects it)."""
    form = OrderForm()
    placed = _take_order(form, _stations())
    if not isinstance(placed, Need):
        return placed
    flash(_("Your order has been sent to %(station)s.", station=placed.station.name), "success")
    return redirect(url_for("needs.track", code=tracking_code(placed)))


@bp.route("/needs/proxy", methods=["GET", "POST"])
@login_required
def proxy():
    """代点单: an organizer (a station worker, a 网格员 with an account) orders for a
    resident without a smartphone at one of their own stations; the order is marked as
    placed by proxy, with who placed it, and its tracking link is shown to pass on."""
    form = ProxyOrderForm()
    stations = [u for u in visible_units(current_user) if u.level == UnitLevel.STATION]
    if not stations:
        abort(404)
    placed = _take_order(form, stations, proxy=current_user)
    if not isinstance(placed, Need):
        return placed
    link = url_for("needs.track", code=tracking_code(placed), _external=True)
    flash(
        _(
            "Ordered for %(name)s by proxy. Give them or their family the order's link to "
            "follow it: %(link)s",
            name=placed.contact_name,
            link=link,
        ),
        "success",
    )
    return redirect(url_for("needs.detail", need_id=placed.id))


def _take_order(form: OrderForm, stations: list[Unit], *, proxy: User | None = None):
    """The order form's GET and POST for ``stations``: the order placed, or the page to
    answer (the form again, with every problem beside its field)."""
    form.station.choices = [(s.id, s.name) for s in stations]
    categories = db.session.scalars(select(Category).order_by(Category.sort_order)).all()
    locale = "en" if request.accept_languages.best_match(["zh", "en"]) == "en" else "zh"
    form.category.choices = [(c.id, c.display_name(locale)) for c in categories]
    preset = parse_id(request.args.get("station"))
    if request.method == "GET" and preset:
        form.station.data = preset
    item = _chosen_item(form, stations)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        return _order_page(form, stations, item=item, status=status)
    now = utcnow()
    station = next((s for s in stations if s.id == form.station.data), None)
    category = next((c for c in categories if c.id == form.category.data), None)
    try:
        fields = rules.validate_order(
            contact_name=form.contact_name.data or "",
            contact_phone=form.contact_phone.data or "",
            title=form.title.data or "",
            description=form.description.data or "",
            address=form.address.data or "",
            notes=form.notes.data or "",
            wanted_date=form.wanted_date.data,
            expected_minutes=form.expected_minutes.data,
            proxy_note=(form.proxy_note.data or "") if proxy else None,
            today=utc_to_local(now).date(),
        )
    except DomainError as error:
        show_errors(form, error.problems or {}, {})
        return _order_page(form, stations, item=item, status=error.status)
    if station is None or category is None:
        form.station.errors = [] if station else [_("Please choose a station.")]
        form.category.errors = [] if category else [_("Please choose a kind of service.")]
        return _order_page(form, stations, item=item, status=400)
    part = DayPart(form.wanted_part.data) if form.wanted_part.data else None
    try:
        if form.item.data and item is None:
            raise MenuError("not_here")
        return services.submit(
            station,
            fields,
            category_id=category.id,
            wanted_part=part,
            menu_item=item,
            proxy=proxy,
            proxy_note=fields.proxy_note,
            now=now,
        )
    except MenuError as error:  # withdrawn or fully booked meanwhile: the form stays
        form.form_errors.append(error.message)
        return _order_page(form, stations, item=item, status=error.status)


def mask_name(name: str) -> str:
    """A name as the public board shows it: its first character and stars (张**)."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 2) if name else ""


@bp.get("/needs")
def board():
    """The public board: orders dispatched, in service and completed, newest change first,
    with no number, no address and no full name; never a rejected or withdrawn one."""
    station_id = parse_id(request.args.get("station"))
    query = select(Need).where(Need.status.in_(rules.PUBLIC))
    if station_id:
        query = query.where(Need.station_id == station_id)
    orders = list(db.session.scalars(query.order_by(Need.changed_at.desc()).limit(50)))
    return render_template(
        "needs/board.html", orders=orders, status_labels=STATUS_LABELS, mask_name=mask_name
    )


def _track_page(need: Need, rate_form: RateForm, *, status: int = 200):
    page = render_template(
        "needs/track.html",
        need=need,
        code=tracking_code(need),
        log=services.log_of(need),
        status_label=STATUS_LABELS[need.status],
        step_labels=STEP_LABELS,
        waiting=need.status in rules.WAITING,
        rate_form=rate_form,
        action_form=ActionForm(formdata=None),
    )
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@bp.get("/n/<code>")
def track(code: str):
    """The order's status and log, for whoever holds its tracking link."""
    return _track_page(_need_or_404(code), RateForm(formdata=None))


@bp.post("/n/<code>/urge")
def urge(code: str):
    """催单: remind the station, at most once a day while the order waits."""
    need = _need_or_404(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.urge(need, now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
        return _track_page(need, RateForm(formdata=None), status=error.status)
    flash(_("The station has been reminded of your order."), "success")
    return redirect(url_for("needs.track", code=code))


@bp.post("/n/<code>/withdraw")
def withdraw(code: str):
    """撤单: withdraw the order before a team has taken it."""
    need = _need_or_404(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.take_step(need, Step.WITHDRAW, Actor.resident(), now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
        return _track_page(need, RateForm(formdata=None), status=error.status)
    flash(_("Your order has been withdrawn."), "success")
    return redirect(url_for("needs.track", code=code))


@bp.post("/n/<code>/rate")
def rate(code: str):
    """评单: rate the completed service, once."""
    need = _need_or_404(code)
    form = RateForm()
    if not form.validate_on_submit():
        return _track_page(need, form, status=400)
    try:
        services.rate(
            need,
            quality=form.quality.data,
            attitude=form.attitude.data,
            comment=form.comment.data or "",
            now=utcnow(),
        )
    except DomainError as error:
        form.form_errors.append(error.message)
        return _track_page(need, form, status=error.status)
    flash(_("Thank you for your rating."), "success")
    return redirect(url_for("needs.track", code=code))


@bp.get("/n/<code>/export.json")
def export(code: str):
    """Everything the order holds about the resident (PIPL), as JSON."""
    need = _need_or_404(code)
    response = jsonify(services.export_for_resident(need))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = "attachment; filename=order.json"
    return response


@bp.post("/n/<code>/erase")
def erase(code: str):
    """Erase the resident's name, number and address from an ended order."""
    need = _need_or_404(code)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        services.erase_contact(need, now=utcnow())
    except DomainError as error:
        flash(error.message, "error")
        return _track_page(need, RateForm(formdata=None), status=error.status)
    flash(_("Your name, number and address have been erased from this order."), "success")
    return redirect(url_for("needs.track", code=code))
