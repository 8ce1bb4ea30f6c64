# Debug output that shows part of the key: a prefix or suffix of up to 16
# characters is reported low (not usable, but more than Stripe shows); more
# is the key; the type prefix or the last 4 are fine.
import logging
import os

import stripe
from django.conf import settings
from django.http import JsonResponse

log = logging.getLogger(__name__)
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]  # expect: codekeys/key-held-by-application


def debug_stripe(request):
    return JsonResponse({
        "key_start": settings.STRIPE_SECRET_KEY[:15],  # expect: codekeys/key-in-response  # severity: low
        "mode": "live" if settings.STRIPE_SECRET_KEY.startswith("sk_live_") else "test",
    })


def debug_full(request):
    return JsonResponse({"key": settings.STRIPE_SECRET_KEY[:40]})  # expect: codekeys/key-in-response  # severity: critical


def configure():
    log.info("stripe key %s…", stripe.api_key[:12])  # expect: codekeys/key-logged  # severity: low
    log.info("stripe key …%s", stripe.api_key[-10:])  # expect: codekeys/key-logged  # severity: low
    log.info("stripe key type %s", stripe.api_key[:8])
    log.info("stripe key ends %s", stripe.api_key[-4:])
    print("env key", os.environ["STRIPE_SECRET_KEY"][:12])  # expect: codekeys/key-logged  # severity: low
    log.warning("stripe key %s", stripe.api_key[:24])  # expect: codekeys/key-logged  # severity: high
    log.warning("stripe key %s", stripe.api_key)  # expect: codekeys/key-logged  # severity: high
