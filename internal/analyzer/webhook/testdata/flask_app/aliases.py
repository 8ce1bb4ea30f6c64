import json

import stripe as payments
from flask import Flask, abort, request
from stripe import Webhook as StripeHook

from config import STRIPE_WEBHOOK_SECRET

app = Flask(__name__)


class Webhook:
    """Not Stripe's: a local class that only parses."""

    @staticmethod
    def construct_event(payload, sig, secret):
        return json.loads(payload)  # expect: webhook/unverified-payload


@app.route("/alias/webhook", methods=["POST"])
def aliased_module():  # expect: clean
    try:
        event = payments.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
    except (ValueError, payments.error.SignatureVerificationError):
        abort(400)
    return event.id


@app.route("/alias/class", methods=["POST"])
def aliased_class():  # expect: clean
    try:
        event = StripeHook.construct_event(request.data, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
    except (ValueError, payments.SignatureVerificationError):
        abort(400)
    return event.id


@app.route("/alias/fake", methods=["POST"])
def fake_verifier():
    event = Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), STRIPE_WEBHOOK_SECRET)
    return event["id"]
