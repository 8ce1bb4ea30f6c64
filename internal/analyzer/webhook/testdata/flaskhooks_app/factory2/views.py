import json

from flask import Blueprint, request

bp = Blueprint("events", __name__)


@bp.route("/stripe/factory-events", methods=["POST"])
def factory_events():  # expect: clean
    event = json.loads(request.data)
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])
    return "", 200
