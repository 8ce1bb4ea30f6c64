import os

import redis
import stripe
from flask import Flask, abort, request

app = Flask(__name__)
cache = redis.Redis()


def fulfil(event):
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])


@app.route("/stripe/redis", methods=["POST"])
def redis_nx():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    if not cache.set(f"stripe:event:{event['id']}", 1, nx=True, ex=3 * 24 * 3600):  # observe: webhook.idempotent-processing
        return "", 200
    fulfil(event)
    return "", 200
