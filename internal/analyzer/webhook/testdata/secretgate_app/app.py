"""Verification switched off by the signing secret itself: when the secret is
unset, these handlers trust the posted payload. The checklist must not call
such a secret "never empty" (it comes from configuration, but it can be
empty). Each shape has a twin that must not be marked that way."""
import json
import os

import stripe
from flask import Flask, abort, jsonify, request

app = Flask(__name__)
DEBUG = os.environ.get("FLASK_DEBUG") == "1"
webhook_secret = os.getenv("STRIPE_WEBHOOK_SECRET")


class Settings:
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")


settings = Settings()


def handle(event_type, data):
    print(event_type, data)


# Stripe's own sample code: verify only when a secret is configured.
@app.route("/webhook/sample", methods=["POST"])
def webhook_sample():
    request_data = json.loads(request.data)
    if webhook_secret:  # expect: webhook/optional-verification
        signature = request.headers.get("stripe-signature")
        try:
            event = stripe.Webhook.construct_event(payload=request.data, sig_header=signature, secret=webhook_secret)
        except (ValueError, stripe.error.SignatureVerificationError):
            return "", 400
        data = event["data"]
        event_type = event["type"]
    else:
        data = request_data["data"]
        event_type = request_data["type"]
    handle(event_type, data)
    return jsonify({"status": "success"})


# Early return before verification when the secret is missing.
@app.route("/webhook/early", methods=["POST"])
def webhook_early():
    if not webhook_secret:  # expect: webhook/optional-verification
        payload = json.loads(request.data)
        handle(payload["type"], payload["data"])
        return "", 200
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), webhook_secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    handle(event["type"], event["data"])
    return "", 200


# A conditional expression on a settings attribute.
@app.route("/webhook/ternary", methods=["POST"])
def webhook_ternary():
    payload = request.data
    sig = request.headers.get("Stripe-Signature", "")
    try:
        event = stripe.Webhook.construct_event(payload, sig, settings.STRIPE_WEBHOOK_SECRET) if settings.STRIPE_WEBHOOK_SECRET else json.loads(payload)  # expect: webhook/optional-verification
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    handle(event["type"], event["data"])
    return "", 200


# "is not None" spelled out, secret bound to a local first.
@app.route("/webhook/local", methods=["POST"])
def webhook_local():
    secret = os.environ.get("STRIPE_WEBHOOK_SECRET")
    payload = request.get_data()
    if secret is not None:  # expect: webhook/optional-verification
        try:
            event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), secret)
        except (ValueError, stripe.error.SignatureVerificationError):
            abort(400)
    else:
        event = json.loads(payload)
    handle(event["type"], event["data"])
    return "", 200


# Twin: verification switched off by a debug flag, not by the secret. The
# finding stays; the secret itself is not shown to be empty.
@app.route("/webhook/debug", methods=["POST"])
def webhook_debug():
    payload = request.get_data()
    if not DEBUG:  # expect: webhook/optional-verification
        try:
            event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])
        except (ValueError, stripe.error.SignatureVerificationError):
            abort(400)
    else:
        event = json.loads(payload)
    handle(event["type"], event["data"])
    return "", 200


# Twin: always verifies; the secret's emptiness is not tested anywhere.
@app.route("/webhook/strict", methods=["POST"])
def webhook_strict():  # expect: clean
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])  # observe: webhook.secret-managed
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle(event["type"], event["data"])
    return "", 200
