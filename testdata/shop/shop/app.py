import json
import logging

import stripe
from flask import Flask, jsonify, request

from shop import settings

app = Flask(__name__)
log = logging.getLogger(__name__)
stripe.api_key = settings.STRIPE_SECRET_KEY


@app.route("/checkout", methods=["POST"])
def checkout():
    session = stripe.checkout.Session.create(
        mode="payment",
        line_items=[{"price": request.form["price"], "quantity": 1}],
        success_url="https://shop.example/ok",
    )
    return jsonify(url=session.url)


@app.route("/webhooks/stripe", methods=["POST"])
def stripe_webhook():
    event = json.loads(request.data)
    if event["type"] == "checkout.session.completed":
        fulfil(event["data"]["object"])
    return jsonify(received=True)


def fulfil(session):
    log.info("fulfilling %s", session["id"])
