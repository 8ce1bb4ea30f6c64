import json
import os

import stripe


def lambda_handler(event, context):
    body = json.loads(event["body"])  # expect: webhook/unverified-payload
    if body["type"] == "customer.subscription.updated":
        print(body["data"]["object"]["id"])
    return {"statusCode": 200}
