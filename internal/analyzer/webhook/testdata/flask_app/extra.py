"""Less common spellings of the same shapes."""
import os
from json import loads as parse_json

import stripe
from flask import Flask, request
from stripe import Webhook
from stripe.error import SignatureVerificationError

app = Flask(__name__)
OR_EMPTY_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or ""  # expect: webhook/empty-secret
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


@app.route("/extra/or-empty", methods=["POST"])
def or_empty():
    try:
        event = Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), OR_EMPTY_SECRET)
    except (ValueError, SignatureVerificationError):
        return "", 400
    return event.id


@app.route("/extra/str-body", methods=["POST"])
def str_body():
    try:
        event = Webhook.construct_event(str(request.data), request.headers.get("Stripe-Signature"), SECRET)  # expect: webhook/body-not-raw
    except (ValueError, SignatureVerificationError):
        return "", 400
    return event.id


@app.route("/extra/renamed-json-webhook", methods=["POST"])
def renamed_json():
    event = parse_json(request.get_data())  # expect: webhook/unverified-payload
    return event["type"]


@app.route("/extra/only-sve", methods=["POST"])
def only_signature_error():
    try:
        event = Webhook.construct_event(request.data, request.headers.get("Stripe-Signature"), SECRET)
    except SignatureVerificationError:  # expect: webhook/verification-error-unhandled
        return "", 400
    return event.id


@app.route("/extra/without-verification", methods=["POST"])
def without_verification():
    event = stripe.Webhook.construct_event_without_verification(request.data)  # expect: webhook/unverified-payload
    return event.id


@app.route("/extra/decoded", methods=["POST"])
def decoded_body():  # expect: clean
    payload = request.data.decode("utf-8")
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.SignatureVerificationError):
        return "", 400
    return event.id


@app.route("/extra/log-rejected", methods=["POST"])
def log_rejected_webhook():  # expect: clean
    payload = request.get_data()
    sig = request.headers.get("Stripe-Signature")
    if not sig:
        app.logger.warning("unsigned delivery %s", parse_json(payload).get("id"))
        return "missing signature", 400
    try:
        event = Webhook.construct_event(payload, sig, SECRET)
    except (ValueError, SignatureVerificationError):
        return "", 400
    return event.id
