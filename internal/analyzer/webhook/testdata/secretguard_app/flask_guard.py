# An empty signing secret refused before verification is not an empty
# secret that reaches construct_event.
import logging
import os

import stripe
from flask import Flask, abort, request

app = Flask(__name__)
log = logging.getLogger(__name__)
SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
OTHER_SECRET = os.environ.get("STRIPE_CONNECT_WEBHOOK_SECRET", "")  # expect: webhook/empty-secret
LATE_SECRET = os.environ.get("STRIPE_LATE_WEBHOOK_SECRET", "")  # expect: webhook/empty-secret
API_KEY = os.environ.get("STRIPE_API_KEY", "")


@app.route("/stripe", methods=["POST"])
def stripe_hook():
    if not SECRET:
        abort(500)
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)  # observe: webhook.secret-managed
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    return event["id"]


@app.route("/stripe-none", methods=["POST"])
def stripe_hook_none_or_empty():
    secret = SECRET
    if secret is None or secret == "":
        return "webhook secret not configured", 500
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), secret)  # observe: webhook.secret-managed
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    return event["id"]


@app.route("/stripe-prefix", methods=["POST"])
def stripe_hook_prefix():
    if not SECRET.startswith("whsec_"):
        raise RuntimeError("STRIPE_WEBHOOK_SECRET is not a signing secret")
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)  # observe: webhook.secret-managed
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    return event["id"]


# Twins: a check that only logs, a check of another value, a check after
# the verification.
@app.route("/stripe-connect", methods=["POST"])
def stripe_connect_hook():
    if not OTHER_SECRET:
        log.warning("no connect webhook secret")
    if not API_KEY:
        abort(500)
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), OTHER_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    return event["id"]


@app.route("/stripe-late", methods=["POST"])
def stripe_late_hook():
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), LATE_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    if not LATE_SECRET:
        abort(500)
    return event["id"]
