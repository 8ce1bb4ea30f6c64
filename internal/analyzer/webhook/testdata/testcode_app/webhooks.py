import os

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


WH_SECRET = (os.getenv("STRIPE_WEBHOOK_SECRET") or "").strip()


def verify_for_tests(payload, signature):
    # Only the test suite calls this; the handler below refuses an empty
    # secret itself.
    return stripe.Webhook.construct_event(payload, signature, WH_SECRET)


def verify_for_jobs(payload, signature):
    # The twin: a production caller (the replay job) uses it too.
    return stripe.Webhook.construct_event(payload, signature, os.getenv("JOBS_WEBHOOK_SECRET", ""))  # expect: webhook/empty-secret


def replay(payload, signature):
    print(verify_for_jobs(payload, signature)["type"])


@app.route("/stripe/guarded", methods=["POST"])
def guarded_webhook():  # expect: clean
    if not WH_SECRET:
        return "", 503
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature", ""), WH_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    print(event["type"])
    return "", 200
