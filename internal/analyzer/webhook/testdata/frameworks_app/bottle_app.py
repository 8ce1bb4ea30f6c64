import json
import os

import stripe
from bottle import Bottle, abort, post, request, route

app = Bottle()
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def fulfil(event):
    if event["type"] == "checkout.session.completed":
        print("ship", event["data"]["object"]["id"])


@app.post("/stripe/webhook")
def bottle_webhook():  # expect: clean
    payload = request.body.read()
    try:
        event = stripe.Webhook.construct_event(payload, request.get_header("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400, "invalid signature")
    fulfil(event)
    return {"received": True}


@post("/stripe/unverified")
def bottle_unverified():
    event = request.json  # expect: webhook/unverified-payload
    fulfil(event)
    return {"received": True}


@route("/stripe/route", method="POST")
def bottle_route():
    event = json.loads(request.body.read())  # expect: webhook/unverified-payload
    fulfil(event)
    return {"received": True}
