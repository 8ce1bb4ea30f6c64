"""Docstring mentioning whsec_FAKEFAKEFAKE00000000000009 is documentation, not a value."""
import logging

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)

stripe.api_key = settings.STRIPE_SECRET_KEY


def refund(charge_id):
    logger.warning("refunding with %s", settings.STRIPE_SECRET_KEY)  # expect: codekeys/key-logged
    logger.info("webhook secret configured: %s", settings.STRIPE_WEBHOOK_SECRET is not None)
    return stripe.Refund.create(charge=charge_id)
