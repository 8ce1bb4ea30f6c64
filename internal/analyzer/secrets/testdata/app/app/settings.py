import os

DEBUG = False

# TODO: move to the environment before launch
STRIPE_SECRET_KEY = "@@sk_live_long@@"
STRIPE_PUBLISHABLE_KEY = "@@pk_live@@"
STRIPE_WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
