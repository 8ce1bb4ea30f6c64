import json
import os

import stripe
from flask import Flask, abort, request


def check_signature():
    if not request.path.startswith("/hooks/stripe"):
        return
    try:
        stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)


def create_app():
    app = Flask(__name__)
    app.before_request(check_signature)

    @app.route("/hooks/stripe", methods=["POST"])
    def factory_stripe_hook():  # expect: clean
        event = json.loads(request.data)
        if event["type"] == "invoice.paid":
            print("paid", event["data"]["object"]["id"])
        return "", 200

    @app.route("/hooks/paypal-and-stripe", methods=["POST"])
    def factory_mixed_hook():
        event = json.loads(request.data)  # expect: webhook/unverified-payload
        if event["type"] == "invoice.paid":
            print("paid", event["data"]["object"]["id"])
        return "", 200

    return app
