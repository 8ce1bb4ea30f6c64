"""Secrets stored on objects in one method and used in another."""
import stripe
from django.conf import settings


class StripeWebhookRequest:
    def __init__(self, request):
        self.headers = request.headers
        self.body = request.body

    def validate(self):
        secret = self.headers.get("X-Webhook-Secret")  # expect: webhook/secret-from-request
        return stripe.Webhook.construct_event(self.body, self.headers.get("Stripe-Signature"), secret)


class DebugSecretRequest:
    """Only DEBUG lets the request choose the secret: still chosen by the sender."""

    def __init__(self, request):
        self.headers = request.headers
        self.body = request.body

    def validate(self):
        secret = self.headers.get("X-Test-Secret") if settings.DEBUG else settings.STRIPE_WEBHOOK_SECRET  # expect: webhook/secret-from-request
        return stripe.Webhook.construct_event(self.body, self.headers.get("Stripe-Signature"), secret)


class Envelope:
    def __init__(self, headers, body):
        self.headers = headers
        self.body = body

    @classmethod
    def from_request(cls, request):
        return cls(headers=dict(request.headers), body=request.body)

    def open(self):
        return stripe.Webhook.construct_event(self.body, self.headers.get("Stripe-Signature"), self.headers.get("Stripe-Secret"))  # expect: webhook/secret-from-request


class Copied:
    @classmethod
    def from_request(cls, request):
        inst = cls()
        inst.meta = request.META
        inst.body = request.body
        return inst

    def open(self):
        return stripe.Webhook.construct_event(self.body, self.meta.get("HTTP_STRIPE_SIGNATURE"), self.meta.get("HTTP_X_SECRET"))  # expect: webhook/secret-from-request


class ConfiguredRequest:
    """The secret comes from settings: safe."""

    def __init__(self, request):
        self.secret = settings.STRIPE_WEBHOOK_SECRET
        self.headers = request.headers
        self.body = request.body

    def validate(self):
        return stripe.Webhook.construct_event(self.body, self.headers.get("Stripe-Signature"), self.secret)


class StripeValidator:
    """validate() answers True without checking when the setting says so."""

    def __init__(self):
        self.mode = getattr(settings, "STRIPE_WEBHOOK_VALIDATION", "strict")

    def validate(self, request):
        if self.mode in (None, "none", False):  # expect: webhook/optional-verification
            return True
        try:
            stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            return False
        return True


class StrictValidator:
    def validate(self, request):  # expect: clean
        if not request.body:
            return False
        try:
            stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            return False
        return True


def check_signature(request):
    """Raises on failure; returns early when verification is switched off."""
    if not settings.VERIFY_STRIPE_WEBHOOKS:  # expect: webhook/optional-verification
        return
    stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)


def check_signature_skippable(request):
    if request.META.get("HTTP_X_SKIP_VERIFICATION"):  # expect: webhook/optional-verification
        return True
    try:
        stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return False
    return True
