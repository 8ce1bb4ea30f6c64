import os

import stripe

from orders import handle


def lambda_handler(event, context):  # expect: clean
    if event.get("rawPath") == "/health":
        return {"statusCode": 200, "body": "ok"}
    try:
        stripe_event = stripe.Webhook.construct_event(event["body"], event["headers"].get("stripe-signature"), os.environ["STRIPE_WEBHOOK_SECRET"])
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"statusCode": 400}
    handle(stripe_event)
    return {"statusCode": 200}
