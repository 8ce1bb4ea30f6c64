"""A hook that verifies only deliveries that carry a signature."""
import json
import os

import stripe
from quart import Quart, abort, request

app = Quart(__name__)


@app.before_request
async def maybe_verify():
    if "Stripe-Signature" in request.headers:  # expect: webhook/optional-verification
        try:
            stripe.Webhook.construct_event(await request.get_data(), request.headers["Stripe-Signature"], os.environ["STRIPE_WEBHOOK_SECRET"])
        except (ValueError, stripe.error.SignatureVerificationError):
            abort(400)


@app.post("/quart/optional-stripe")
async def optional_stripe():
    event = json.loads(await request.get_data())
    if event["type"] == "invoice.paid":
        print(event["data"]["object"]["id"])
    return {}
