import stripe
from flask import Flask, request

app = Flask(__name__)
SECRET = "whsec_" + "x" * 0


def verify_stripe_signature(payload, signature, secret):
    return stripe.Webhook.construct_event(payload, signature, secret)


@app.route("/stripe/webhook", methods=["POST"])
def stripe_webhook():
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature", ""), app.config["STRIPE_WEBHOOK_SECRET"])
    except Exception:  # expect: webhook/swallowed-verification-error
        event = request.get_json()
    print(event["type"])
    return "", 200
