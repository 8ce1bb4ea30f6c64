"""Diagnostics that say whether a key is configured test it for truth only;
the value that reaches the log is "Yes"/"No" (cinfacol/Econline-Api was
reported high for logging its webhook secret this way). A branch that
is the key itself still leaks it."""
import logging
import os

import stripe
from django.conf import settings

logger = logging.getLogger(__name__)
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # expect: codekeys/key-held-by-application


def diagnose():
    logger.error(f"Webhook secret configured: {'Yes' if settings.STRIPE_WEBHOOK_SECRET else 'No'}")
    logger.info("api key set: %s", "yes" if stripe.api_key else "no")
    print("mode:", "live" if os.environ.get("STRIPE_SECRET_KEY", "").startswith("sk_live_") else "test")


def diagnose_leaky():
    logger.error("secret: %s", settings.STRIPE_WEBHOOK_SECRET if settings.DEBUG else "hidden")  # expect: codekeys/key-logged
    logger.info(f"key: {'unset' if not stripe.api_key else stripe.api_key}")  # expect: codekeys/key-logged
