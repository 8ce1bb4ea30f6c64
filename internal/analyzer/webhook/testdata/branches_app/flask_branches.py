import logging
import os

import stripe
from flask import Flask, abort, request

from orders import fulfil_order, handle

app = Flask(__name__)
log = logging.getLogger(__name__)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


@app.route("/stripe/webhook", methods=["POST"])
def query_flag():
    if request.args.get("replay") == "1":  # expect: webhook/optional-verification
        fulfil_order(request.args["order"])
        return "", 200
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle(event)
    return "", 200


@app.route("/stripe/internal", methods=["POST"])
def special_event_id():
    if request.headers.get("X-Event-Id") == "evt_internal_replay":  # expect: webhook/optional-verification
        fulfil_order(request.args.get("order"))
        return "", 200
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle(event)
    return "", 200


@app.route("/stripe/logged", methods=["POST"])
def logs_then_rejects():  # expect: clean
    if not request.headers.get("Stripe-Signature"):
        log.warning("unsigned delivery from %s", request.remote_addr)
        return "missing signature", 400
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle(event)
    return "", 200


@app.route("/stripe/ping", methods=["POST"])
def ping_branch():  # expect: clean
    if request.args.get("ping"):
        log.info("ping from %s", request.remote_addr)
        return "pong", 200
    try:
        event = stripe.Webhook.construct_event(request.get_data(), request.headers.get("Stripe-Signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        abort(400)
    handle(event)
    return "", 200
