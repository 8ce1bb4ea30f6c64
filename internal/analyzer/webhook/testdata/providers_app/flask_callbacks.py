import os

import stripe
from flask import Flask, abort, request

from providers import handle_braintree, handle_stripe_event, verify_braintree

app = Flask(__name__)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


@app.route("/hooks/<provider>", methods=["POST"])
def provider_hook(provider):  # expect: clean
    if provider == "stripe":
        try:
            event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            abort(400)
        handle_stripe_event(event)
    elif provider in ("braintree", "braintree-sandbox"):
        body = request.get_data()
        if not verify_braintree(request.form.get("bt_signature"), body):
            abort(400)
        handle_braintree(body)
    else:
        abort(404)
    return "", 200


@app.route("/hooks2/<provider>", methods=["POST"])
def provider_hook_fallthrough(provider):
    # Twin: after the Stripe branch, every other provider name falls through
    # to Stripe processing of the unverified body.
    if provider == "stripe":  # expect: webhook/optional-verification
        try:
            stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            abort(400)
    event = request.get_json()
    handle_stripe_event(event)
    return "", 200
