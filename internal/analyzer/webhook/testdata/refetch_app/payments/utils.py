# Stripe helpers shared by the webhook views.
import logging

import stripe
from django.conf import settings

log = logging.getLogger(__name__)


def _init(live_mode):
    stripe.api_key = settings.STRIPE_LIVE_KEY if live_mode else settings.STRIPE_TEST_KEY


def safe_stripe_call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except stripe.error.StripeError:
        log.exception("stripe call failed")
        return None


def retrieve_event(event_id, live_mode=False):
    """Fetch the event from the API: what Stripe says happened."""
    _init(live_mode)
    return safe_stripe_call(stripe.Event.retrieve, event_id)


def load_event(event_id):
    return EVENTS.get(event_id)


EVENTS = {}


def log_event(payload, request=None):
    log.info("stripe event %s", payload.get("id"))


def handle_event(event, request=None):
    if event.type == "invoice.paid":
        fulfil(event.data.object)


def fulfil(invoice):
    pass
