# A handler routed by connexion (operationId: connexion_api.view in an
# OpenAPI file), which the tests also call directly: it reads the request
# itself, so it is served code, not a test utility.
import json
import os

import stripe
from flask import request

SIGNING_KEY = os.environ["STRIPE_WEBHOOK_SECRET"]


def view():
    payload = request.data
    if not os.environ.get("HUB_DOCKER"):  # expect: webhook/optional-verification
        event = stripe.Webhook.construct_event(payload, request.headers["Stripe-Signature"], SIGNING_KEY)  # expect: webhook/signature-header-no-default
    else:
        event = json.loads(payload.decode("utf-8"))
    print(event["type"])
    return "", 200


def verified_view():  # expect: clean
    try:
        event = stripe.Webhook.construct_event(request.data, request.headers.get("Stripe-Signature", ""), SIGNING_KEY)
    except (ValueError, stripe.error.SignatureVerificationError):
        return "", 400
    print(event["type"])
    return "", 200
