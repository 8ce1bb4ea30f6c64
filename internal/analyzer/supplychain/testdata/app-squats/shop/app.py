import os

import stripe
from flask import Flask, jsonify, request

app = Flask(__name__)
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]


@app.post("/checkout")
def checkout():
    session = stripe.checkout.Session.create(
        mode="payment",
        line_items=[{"price": request.json["price"], "quantity": 1}],
        success_url="https://shop.example/thanks",
        cancel_url="https://shop.example/cart",
    )
    return jsonify(url=session.url)
