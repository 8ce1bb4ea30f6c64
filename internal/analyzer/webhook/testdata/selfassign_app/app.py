"""Locals that are assigned from themselves (`kind = kind`, a redundant
copy left after a refactor) or from each other must not send the analysis
into a loop: a real repository (PyZenMatt/lms_backend) crashed the whole
scan with a stack overflow on `offered_teacher_teo = offered_teacher_teo`."""
import json
import os

import stripe
from flask import Flask, abort, request

app = Flask(__name__)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def fulfil(obj):
    print("fulfilled", obj["id"])


@app.route("/stripe/webhook", methods=["POST"])
def stripe_webhook():  # expect: clean
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature", ""), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    kind = event["type"]
    kind = kind
    if kind == "checkout.session.completed":
        fulfil(event["data"]["object"])
    return "", 200


@app.route("/stripe/webhook-legacy", methods=["POST"])
def stripe_webhook_legacy():
    payload = json.loads(request.data)  # expect: webhook/unverified-payload
    first = payload["type"]
    second = first
    first = second
    if first == "invoice.paid":
        fulfil(payload["data"]["object"])
    return "", 200


@app.route("/orders/<kind>", methods=["POST"])
def orders(kind):  # expect: clean
    # Not a webhook: the same mutual copies on a form post.
    body = request.get_json()
    a = kind
    b = a
    a = b
    if a == "express":
        print(body["address"])
    return "", 201
