import os

STRIPE_WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
LEGACY_WEBHOOK_SECRET = os.environ.get("STRIPE_LEGACY_WEBHOOK_SECRET", "")  # expect: webhook/empty-secret
