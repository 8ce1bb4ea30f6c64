#!/usr/bin/python3
"""A minimal Flask webhook endpoint that verifies with stripe-python itself.

Usage: /usr/bin/python3 flask_app.py PORT   (secret in STRIPE_WEBHOOK_SECRET)
Serves POST /webhook on 127.0.0.1 with Werkzeug's threaded server, and
GET /ready. Answers 200 {"received": true, "id": ...} or 400.
"""
import logging
import os
import sys

import stripe
from flask import Flask, jsonify, request

app = Flask(__name__)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
logging.getLogger("werkzeug").setLevel(logging.ERROR)


@app.get("/ready")
def ready():
    return "ok"


@app.post("/webhook")
def webhook():
    payload = request.get_data()
    sig = request.headers.get("Stripe-Signature")
    try:
        event = stripe.Webhook.construct_event(payload, sig, SECRET)
    except ValueError:
        return "invalid payload", 400
    except stripe.error.SignatureVerificationError:
        return "invalid signature", 400
    return jsonify(received=True, id=event["id"])


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(sys.argv[1]), threaded=True)
