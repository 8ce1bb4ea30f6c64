import stripe
from flask import Blueprint, current_app, request

from .events import EventService

bp = Blueprint("billing", __name__, url_prefix="/billing")
service = EventService()


@bp.post("/stripe-events")
def stripe_events():  # expect: clean
    try:
        event = service.parse(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"error": "invalid"}, 400
    current_app.logger.info("event %s", event.id)
    return {"ok": True}


@bp.post("/stripe-events-lenient")
def stripe_events_lenient():
    try:
        event = service.parse_leniently(request)
    except ValueError:
        return {"error": "invalid"}, 400
    return {"type": event.type}
