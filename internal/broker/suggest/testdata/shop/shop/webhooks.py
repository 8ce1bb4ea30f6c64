"""Webhook verification makes no API call."""
import os

import stripe


def handle(payload, sig):
    return stripe.Webhook.construct_event(payload, sig, os.environ["STRIPE_WEBHOOK_SECRET"])
