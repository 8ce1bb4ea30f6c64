"""Verification done by DRF before the view runs."""
import stripe
from django.conf import settings
from rest_framework import authentication, exceptions, permissions


class StripeSignaturePermission(permissions.BasePermission):
    def has_permission(self, request, view):
        header = request.META.get("HTTP_STRIPE_SIGNATURE")
        if not header:
            return False
        try:
            stripe.WebhookSignature.verify_header(request.body.decode(), header, settings.STRIPE_WEBHOOK_SECRET, 300)
        except stripe.error.SignatureVerificationError:
            return False
        return True


class StripeSignatureAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        try:
            event = stripe.Webhook.construct_event(
                request.body, request.headers.get("Stripe-Signature"), settings.STRIPE_WEBHOOK_SECRET
            )
        except (ValueError, stripe.error.SignatureVerificationError):
            raise exceptions.AuthenticationFailed("invalid Stripe signature")
        return (None, event)


class HasStripeHeader(permissions.BasePermission):
    """Looks like a check, verifies nothing."""

    def has_permission(self, request, view):
        return "HTTP_STRIPE_SIGNATURE" in request.META


class LenientStripePermission(permissions.BasePermission):
    def has_permission(self, request, view):
        try:
            stripe.WebhookSignature.verify_header(
                request.body.decode(), request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET, 300
            )
        except stripe.error.SignatureVerificationError:  # expect: webhook/swallowed-verification-error
            return True
        return True
