"""An app-level handler answers SignatureVerificationError with 400."""
import os

import stripe
from flask import Flask, request

from handlers import register_handlers

app = Flask(__name__)
register_handlers(app)


@app.route("/stripe/webhook", methods=["POST"])
def stripe_webhook():  # expect: clean
    event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])
    if event["type"] == "invoice.paid":
        print(event["data"]["object"]["id"])
    return "", 200
