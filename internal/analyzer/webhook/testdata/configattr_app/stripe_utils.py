import stripe
from django.conf import settings


def get_stripe():
    # Configures the library: these are writes of module settings, not
    # reads of an event's api_version / livemode.
    stripe.api_key = settings.STRIPE_API_KEY
    stripe.api_version = getattr(settings, "STRIPE_API_VERSION", None)
    return stripe


def checkout_mode():
    return "live" if settings.STRIPE_LIVEMODE else "test"
