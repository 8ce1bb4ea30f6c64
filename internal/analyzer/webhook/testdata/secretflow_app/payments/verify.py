"""Wrappers that hand the secret to stripe-python."""
import stripe

from conf.constants import ENDPOINT_SECRET, OPTIONAL_SECRET, STRICT_SECRET, WEBHOOK_SECRET
from conf.helpers import or_empty


def parse(payload, sig):
    return stripe.Webhook.construct_event(payload, sig, WEBHOOK_SECRET)


def parse_endpoint(payload, sig):
    return stripe.Webhook.construct_event(payload, sig, ENDPOINT_SECRET)


def parse_strict(payload, sig):
    return stripe.Webhook.construct_event(payload, sig, STRICT_SECRET)


def parse_connect(payload, sig):
    return stripe.Webhook.construct_event(payload, sig, OPTIONAL_SECRET or "")  # expect: webhook/empty-secret


def parse_connect_wrapped(payload, sig):
    return stripe.Webhook.construct_event(payload, sig, or_empty(OPTIONAL_SECRET))


def parse_connect_strict(payload, sig):
    return stripe.Webhook.construct_event(payload, sig, OPTIONAL_SECRET)
