"""Signature checks that run before the views."""
import stripe
from django.conf import settings
from django.http import HttpResponseBadRequest


class StripeSignatureMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/stripe/webhook/":
            try:
                request.stripe_event = stripe.Webhook.construct_event(
                    request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET
                )
            except (ValueError, stripe.error.SignatureVerificationError):
                return HttpResponseBadRequest("invalid signature")
        return self.get_response(request)


def connect_signature_middleware(get_response):
    def middleware(request):
        if not request.path.startswith("/stripe/connect/"):
            return get_response(request)
        try:
            stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponseBadRequest("invalid signature")
        return get_response(request)

    return middleware


class AuditMiddleware:
    """Logs requests; verifies nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        print("request", request.path)
        return self.get_response(request)
