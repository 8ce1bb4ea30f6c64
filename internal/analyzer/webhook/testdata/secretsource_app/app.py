"""One handler takes its signing secret from configuration, another lets the
request choose it. The checklist's "secret from the environment, never
empty" must be missing, not in place because of the first handler."""
import os

import stripe
from flask import Flask, abort, request

app = Flask(__name__)


def handle(event):
    print(event["type"])


@app.route("/webhook", methods=["POST"])
def webhook():  # expect: clean
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])  # observe: webhook.secret-managed
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle(event)
    return "", 200


# Multi-tenant shortcut: the tenant's secret is sent with the delivery, so
# anyone can sign with a secret of their choosing.
@app.route("/webhook/tenant", methods=["POST"])
def webhook_tenant():
    secret = request.headers.get("X-Tenant-Webhook-Secret")  # expect: webhook/secret-from-request
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle(event)
    return "", 200
