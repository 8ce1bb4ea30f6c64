import json
import os

import stripe
from chalice import BadRequestError, Chalice

app = Chalice(app_name="billing")
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def fulfil(event):
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])


@app.route("/stripe/webhook", methods=["POST"], content_types=["application/json"])
def chalice_webhook():  # expect: clean
    request = app.current_request
    try:
        event = stripe.Webhook.construct_event(request.raw_body, request.headers.get("stripe-signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise BadRequestError("invalid signature")
    fulfil(event)
    return {"received": True}


@app.route("/stripe/unverified", methods=["POST"])
def chalice_unverified():
    event = app.current_request.json_body  # expect: webhook/unverified-payload
    fulfil(event)
    return {"received": True}


@app.route("/stripe/reserialised", methods=["POST"])
def chalice_reserialised():
    request = app.current_request
    try:
        event = stripe.Webhook.construct_event(json.dumps(request.json_body), request.headers.get("stripe-signature"), SECRET)  # expect: webhook/body-not-raw
    except (ValueError, stripe.error.SignatureVerificationError):
        raise BadRequestError("invalid signature")
    fulfil(event)
    return {"received": True}
