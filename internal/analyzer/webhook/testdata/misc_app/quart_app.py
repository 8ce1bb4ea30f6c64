import os

import stripe
from quart import Quart, request

app = Quart(__name__)


@app.route("/quart/webhook", methods=["POST"])
async def quart_unverified():
    event = await request.get_json()  # expect: webhook/unverified-payload
    return event["type"]


@app.route("/quart/webhook-verified", methods=["POST"])
async def quart_verified():  # expect: clean
    payload = await request.get_data()
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    return event.type
