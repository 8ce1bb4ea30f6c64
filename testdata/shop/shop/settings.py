import os

# Left over from a demo; the live key must come from the environment.
STRIPE_SECRET_KEY = os.getenv("STRIPE_SECRET_KEY", "{{SK_LIVE}}")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
