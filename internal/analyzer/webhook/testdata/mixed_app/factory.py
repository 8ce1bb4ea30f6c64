import json
import os

import stripe
from flask import Flask, request


def create_app():
    app = Flask(__name__)
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET", "")  # expect: webhook/empty-secret

    def verify(req):
        return stripe.Webhook.construct_event(req.get_data(), req.headers.get("Stripe-Signature"), secret)

    @app.route("/factory/webhook", methods=["POST"])
    def factory_webhook():
        try:
            event = verify(request)
        except (ValueError, stripe.error.SignatureVerificationError):
            return "", 400
        return event.id

    @app.route("/factory/stripe-unverified", methods=["POST"])
    def factory_unverified():
        event = json.loads(request.get_data())  # expect: webhook/unverified-payload
        if event["type"] == "checkout.session.completed":
            print("fulfil", event["data"]["object"]["id"])
        return event["type"]

    return app
