import os

import stripe
from flask import Flask, request

app = Flask(__name__)
stripe.api_key = os.environ["STRIPE_SECRET_KEY"]
endpoint_secret = os.environ["STRIPE_WEBHOOK_SECRET"]


@app.post("/stripe/webhook")
def webhook():
    event = stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"], endpoint_secret)
    if event["type"] == "invoice.paid":
        print("invoice paid", event["data"]["object"]["id"])
    return "", 200
