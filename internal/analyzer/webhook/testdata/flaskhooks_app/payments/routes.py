"""A blueprint whose before_request hook verifies every delivery."""
import json

from flask import Blueprint, request

from .signing import verify_stripe_request

stripe_bp = Blueprint("stripe_hooks", __name__, url_prefix="/stripe")
stripe_bp.before_request(verify_stripe_request)


def fulfil(event):
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])


@stripe_bp.route("/events", methods=["POST"])
def stripe_events():  # expect: clean  # observe: webhook.signature-verified
    fulfil(json.loads(request.data))
    return "", 200


@stripe_bp.post("/connect-events")
def stripe_connect_events():  # expect: clean
    fulfil(request.get_json())
    return "", 200
