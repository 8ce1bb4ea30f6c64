"""StripeClient services, v1 and v2."""
import os

from stripe import StripeClient

BROKER = os.environ["STRIPE_API_BASE"]
client = StripeClient(os.environ["STRIPE_BROKER_TOKEN"], base_addresses={"api": BROKER})


def subscribe(customer, price):
    return client.v1.subscriptions.create(params={"customer": customer, "items": [{"price": price}]})


def session_status(sid):
    return client.checkout.sessions.retrieve(sid)


def events():
    return client.v2.core.events.list()


class Billing:
    def __init__(self):
        self.stripe = StripeClient(os.environ["STRIPE_BROKER_TOKEN"], stripe_version="2024-06-20")

    def rename(self, cid, name):
        return self.stripe.customers.update(cid, params={"name": name})

    def meter(self, customer, value):
        return self.stripe.v2.billing.meter_events.create(params={"event_name": "api", "payload": {"value": value}})
