import json
import os

import stripe
from flask import Flask, abort, request

from payments.routes import stripe_bp
from shop.views import shop_bp

app = Flask(__name__)
app.register_blueprint(stripe_bp)
app.register_blueprint(shop_bp)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


@app.before_request
def verify_billing_webhooks():
    if request.endpoint != "billing_webhook":
        return None
    try:
        stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)


@app.route("/billing/webhook", methods=["POST"])
def billing_webhook():  # expect: clean
    event = json.loads(request.data)
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])
    return "", 200


@app.route("/billing/other-webhook", methods=["POST"])
def other_webhook():
    event = json.loads(request.data)  # expect: webhook/unverified-payload
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])
    return "", 200
