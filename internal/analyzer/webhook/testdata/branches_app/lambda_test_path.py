import json
import os

import stripe

from orders import handle


def handler(event, context):
    if event["path"] == "/stripe/test-event":  # expect: webhook/optional-verification
        handle(json.loads(event["body"]))
        return {"statusCode": 200}
    try:
        stripe_event = stripe.Webhook.construct_event(event["body"], event["headers"].get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"statusCode": 400}
    handle(stripe_event)
    return {"statusCode": 200}
