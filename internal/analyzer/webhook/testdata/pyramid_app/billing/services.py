import json
import os

import stripe
from zope.interface import Interface, implementer


class IStripeWebhooks(Interface):
    pass


class ILegacyWebhooks(Interface):
    pass


@implementer(IStripeWebhooks)
class StripeWebhookService:
    def __init__(self, secret):
        self.secret = secret

    def parse(self, request):
        return stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature"), self.secret)


@implementer(ILegacyWebhooks)
class LegacyWebhookService:
    def parse(self, request):
        return json.loads(request.body)  # expect: webhook/unverified-payload


class DirectService:
    def __init__(self, request):
        self.request = request

    def event(self):
        return stripe.Webhook.construct_event(self.request.body, self.request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"])


def includeme(config):
    config.register_service(StripeWebhookService(os.environ["STRIPE_WEBHOOK_SECRET"]), IStripeWebhooks)
    config.register_service(LegacyWebhookService(), ILegacyWebhooks)
