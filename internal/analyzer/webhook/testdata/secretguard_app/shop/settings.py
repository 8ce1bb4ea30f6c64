import os

from django.core.exceptions import ImproperlyConfigured
from decouple import config

STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
if not STRIPE_WEBHOOK_SECRET:
    raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET must be set")

STRIPE_CONNECT_SECRET = config("STRIPE_CONNECT_SECRET", default="whsec_")  # expect: webhook/empty-secret
if STRIPE_CONNECT_SECRET == "change_me":
    STRIPE_CONNECT_SECRET = None

STRIPE_BILLING_SECRET = os.environ.get("STRIPE_BILLING_SECRET", "")  # expect: webhook/empty-secret
if not STRIPE_BILLING_SECRET:
    print("warning: STRIPE_BILLING_SECRET is not set")
