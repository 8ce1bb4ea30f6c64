"""Another blueprint: the payments blueprint's hook does not cover it."""
import json

import stripe
from flask import Blueprint, abort, request

shop_bp = Blueprint("shop", __name__)


@shop_bp.before_request
def log_request():
    print("shop request", request.path)


@shop_bp.route("/shop/stripe-webhook", methods=["POST"])
def shop_stripe_webhook():
    event = json.loads(request.data)  # expect: webhook/unverified-payload
    if event["type"] == "checkout.session.completed":
        print("ship", event["data"]["object"]["id"])
    return "", 200
