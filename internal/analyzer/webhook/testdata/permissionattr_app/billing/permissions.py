import stripe
from rest_framework.permissions import BasePermission

from . import helpers


class StripeSignature(BasePermission):
    """Verifies the delivery before the view runs; each view class names
    its own endpoint secret (Kalendario-ie/Kalendario_API)."""

    def has_permission(self, request, view):
        sig_header = request.META.get("HTTP_STRIPE_SIGNATURE", "")
        try:
            view.kwargs["event"] = stripe.Webhook.construct_event(request.body, sig_header, view.hook_secret)
        except (ValueError, stripe.error.SignatureVerificationError):
            return False
        return True


class StripeSignatureViaHelper(BasePermission):
    def has_permission(self, request, view):
        try:
            view.kwargs["event"] = helpers.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE", ""), view.endpoint_secret)
        except (ValueError, stripe.error.SignatureVerificationError):
            return False
        return True
