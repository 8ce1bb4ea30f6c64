import os

import stripe


def lambda_handler(event, context):
    stripe_event = stripe.Webhook.construct_event(  # expect: webhook/failure-answered-5xx
        event["body"], event["headers"].get("stripe-signature"), os.environ["STRIPE_WEBHOOK_SECRET"]
    )
    if stripe_event["type"] == "invoice.paid":
        print(stripe_event["data"]["object"]["id"])
    return {"statusCode": 200}
