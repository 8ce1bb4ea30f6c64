import os

import stripe
from quart import Quart, abort, request

app = Quart(__name__)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def fulfil(event):
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])


@app.post("/quart/stripe")
async def quart_stripe():  # expect: clean
    payload = await request.get_data()
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    fulfil(event)
    return {}


@app.post("/quart/stripe-json")
async def quart_stripe_json():
    event = await request.json  # expect: webhook/unverified-payload
    fulfil(event)
    return {}


@app.before_request
async def quart_verify():
    if request.path != "/quart/hooked-stripe":
        return
    try:
        stripe.Webhook.construct_event(await request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)


@app.post("/quart/hooked-stripe")
async def quart_hooked():  # expect: clean
    fulfil(await request.get_json())
    return {}
