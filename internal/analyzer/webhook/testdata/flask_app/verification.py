"""Helpers shared by the webhook views."""
import functools
import os

import stripe
from flask import abort, g, request


def require_stripe_signature(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            g.stripe_event = stripe.Webhook.construct_event(
                request.get_data(),
                request.headers.get("Stripe-Signature"),
                os.environ["STRIPE_WEBHOOK_SECRET"],
            )
        except (ValueError, stripe.error.SignatureVerificationError):
            abort(400)
        return view(*args, **kwargs)

    return wrapper


def verified_event(req):
    return stripe.Webhook.construct_event(
        req.get_data(), req.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"]
    )


class WebhookVerifier:
    def __init__(self, secret):
        self.secret = secret

    def check(self, payload, header):
        return stripe.WebhookSignature.verify_header(payload, header, self.secret, tolerance=300)


def webhook(view):
    """A verifying decorator whose name looks like a route decorator."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])
        except (ValueError, stripe.error.SignatureVerificationError):
            abort(400)
        return view(*args, **kwargs)

    return wrapper
