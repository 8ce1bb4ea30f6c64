import os

import stripe

from orders import fulfil_order, handle

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def lambda_handler(event, context):
    if event.get("rawPath") == "/stripe/replay":  # expect: webhook/optional-verification
        fulfil_order(event["queryStringParameters"]["order_id"])
        return {"statusCode": 200}
    try:
        stripe_event = stripe.Webhook.construct_event(event["body"], event["headers"].get("stripe-signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"statusCode": 400}
    handle(stripe_event)
    return {"statusCode": 200}
