import os

import stripe
from flask import abort, g, request

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def verify_stripe_request():
    try:
        g.stripe_event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
