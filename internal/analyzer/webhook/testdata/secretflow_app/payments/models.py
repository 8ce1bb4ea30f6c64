import stripe
from django.conf import settings
from django.db import models


class WebhookDelivery(models.Model):
    """A delivery stored as received, verified later."""

    headers = models.JSONField()
    payload = models.TextField()

    def signing_secret(self):
        return self.headers.get("X-Signing-Secret")  # expect: webhook/secret-from-request

    def verify(self):
        return stripe.Webhook.construct_event(self.payload, self.headers.get("Stripe-Signature"), self.signing_secret())


class WebhookEndpoint(models.Model):
    """Per-account secrets set by the app itself, not by the request."""

    secret = models.CharField(max_length=100)
    url = models.URLField()

    def verify(self, payload, sig):
        return stripe.Webhook.construct_event(payload, sig, self.secret)


def register_endpoint(url):
    return WebhookEndpoint.objects.create(url=url, secret=settings.STRIPE_WEBHOOK_SECRET)
