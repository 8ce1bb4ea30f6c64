"""Browser-facing payment endpoints: they read JSON bodies but are not webhooks."""
import json

import stripe
from flask import Flask, jsonify, render_template, request

app = Flask(__name__)


@app.route("/pay/<intent_id>", methods=["POST"])
def confirm_payment(intent_id):  # expect: clean
    data = request.get_json()
    intent = stripe.PaymentIntent.confirm(intent_id, payment_method=data["payment_method"])
    return render_template("payment_intent.html", intent=intent)


@app.route("/stripe/checkout", methods=["POST"])
def stripe_checkout():  # expect: clean
    data = json.loads(request.data)
    if data["type"] == "subscription":
        mode = "subscription"
    else:
        mode = "payment"
    session = stripe.checkout.Session.create(mode=mode, line_items=data["items"], success_url="https://example.com/ok")
    return jsonify(id=session.id)


@app.route("/analytics", methods=["POST"])
def track():  # expect: clean
    event = request.get_json()
    print("track", "checkout.session.completed", event.get("user"))
    return "", 204


@app.route("/invoices/render", methods=["POST"])
def render_invoice():  # expect: clean
    payload = request.get_json()
    template = "invoice.paid.html" if payload.get("paid") else "invoice.html"
    return render_template(template, invoice=payload)


@app.route("/stripe/portal", methods=["POST"])
def stripe_portal():  # expect: clean
    body = request.get_json()
    session = stripe.billing_portal.Session.create(customer=body["customer"], return_url=body["return_url"])
    return jsonify(url=session.url)


@app.route("/hooks/github", methods=["POST"])
def github_hook():  # expect: clean
    payload = request.get_json()
    if payload.get("action") == "opened":
        print("PR", payload["pull_request"]["number"])
    return "", 204


@app.route("/stripe/events-in", methods=["POST"])
def stripe_events_in():
    event = request.get_json()  # expect: webhook/unverified-payload
    if event["type"] == "payment_intent.succeeded":
        print("paid", event["data"]["object"]["id"])
    return "", 200
