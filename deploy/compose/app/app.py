"""A minimal Flask shop webhook behind stripeguard's guard.

The guard verifies Stripe-Signature, drops replays and forwards the exact
request; the app verifies again (defence in depth: the app never trusts
the network path) and reads who the client was from the forwarding
headers the guard set.
"""
import logging
import os

import stripe
from flask import Flask, jsonify, request

app = Flask(__name__)
log = logging.getLogger("shop")
logging.basicConfig(level=logging.INFO)


def webhook_secret():
    # A file mounted from a secret store (Docker/Kubernetes secret), else the
    # environment; never a literal in the code.
    path = os.environ.get("STRIPE_WEBHOOK_SECRET_FILE")
    if path:
        with open(path, encoding="utf-8") as f:
            return f.readline().strip()
    return os.environ["STRIPE_WEBHOOK_SECRET"]


SECRET = webhook_secret()


@app.post("/webhooks/stripe")
def stripe_webhook():
    payload = request.get_data()
    signature = request.headers.get("Stripe-Signature", "")
    try:
        event = stripe.Webhook.construct_event(payload, signature, SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return jsonify(error="invalid signature"), 400
    log.info("event %s (%s) from %s", event["id"], event["type"], request.headers.get("X-Forwarded-For", "?"))
    if event["type"] == "checkout.session.completed":
        pass  # fulfil the order here; the guard already dropped replays
    return jsonify(received=True, forwarded_for=request.headers.get("X-Forwarded-For"))


@app.get("/healthz")
def healthz():
    return "ok\n"


if __name__ == "__main__":
    app.run(host=os.environ.get("APP_HOST", "127.0.0.1"), port=int(os.environ.get("APP_PORT", "8000")))
