"""Flask shop: resource-style stripe-python calls."""
import os

import stripe
from flask import Flask, jsonify, request
from stripe import Customer as StripeCustomer

app = Flask(__name__)
stripe.api_key = os.environ["STRIPE_BROKER_TOKEN"]   # a broker token, not a key
stripe.api_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:8790")
stripe.api_version = "2024-06-20"

PRICE_CENTS = 2000
CURRENCY = "eur"


@app.post("/checkout")
def checkout():
    session = stripe.checkout.Session.create(
        mode="payment",
        line_items=[{"price_data": {"currency": "usd", "unit_amount": 2000,
                                    "product_data": {"name": "T-shirt"}}, "quantity": 1}],
        success_url="https://shop.example/ok",
    )
    return jsonify(id=session.id)


@app.post("/customers")
def new_customer():
    c = stripe.Customer.create(email=request.form["email"])
    return jsonify(id=c.id)


@app.get("/customers/<cid>")
def get_customer(cid):
    return jsonify(StripeCustomer.retrieve(cid))


@app.post("/pay/<pid>/confirm")
def confirm(pid):
    intent = stripe.PaymentIntent.retrieve(pid)
    intent.confirm(return_url="https://shop.example/done")
    return jsonify(ok=True)


@app.post("/refund")
def refund():
    amount = int(request.form["amount"])
    stripe.Refund.create(payment_intent=request.form["pi"], amount=amount)
    return jsonify(ok=True)


async def welcome(email):
    return await stripe.Customer.create_async(email=email, metadata={"amount": "n/a"})


def tax(amount_cents):
    return stripe.raw_request("post", "/v1/tax/calculations", currency="usd",
                              line_items=[{"amount": amount_cents, "reference": "L1"}])


def donate():
    # Amount and currency reach the call through a local and a constant.
    amount = PRICE_CENTS
    return stripe.PaymentIntent.create(amount=amount, currency=CURRENCY)


def tip(cents=100):
    # A parameter's default is not its only value: callers outside the
    # scanned code may pass anything, so this amount counts as computed.
    return stripe.PaymentIntent.create(amount=cents, currency="eur")


def typo():
    return stripe.Customer.frobnicate("cus_1")
