import os
import sys

ENVIRONMENT = os.environ.get("ENVIRONMENT", "production")
DEBUG = ENVIRONMENT == "development"
TESTING = "test" in sys.argv
PRODUCTION = ENVIRONMENT == "production"
ALLOW_UNSIGNED_WEBHOOKS = os.environ.get("ALLOW_UNSIGNED_WEBHOOKS") == "1"
STRIPE_WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
