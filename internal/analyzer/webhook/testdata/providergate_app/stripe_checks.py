"""The twin that is analysed, not trusted for its name: a Stripe helper
object whose check does not verify anything."""
import json

import stripe
from flask import Flask, request

app = Flask(__name__)


class StripeGateway:
    def check_signature(self, payload, signature):
        return bool(signature)


gateway = StripeGateway()


@app.route("/stripe/webhook", methods=["POST"])
def stripe_webhook():
    if not gateway.check_signature(request.data, request.headers.get("Stripe-Signature", "")):
        return "", 400
    event = json.loads(request.data)  # expect: webhook/unverified-payload
    if event["type"] == "checkout.session.completed":
        print(stripe.api_key, event["data"]["object"]["id"])
    return "", 200
