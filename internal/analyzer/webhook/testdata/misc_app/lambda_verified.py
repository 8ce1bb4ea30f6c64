import os

import stripe


def handler(event, context):  # expect: clean
    try:
        stripe_event = stripe.Webhook.construct_event(
            event["body"], event["headers"].get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"]
        )
    except (ValueError, stripe.error.SignatureVerificationError):
        return {"statusCode": 400}
    print(stripe_event.type)
    return {"statusCode": 200}
