import stripe
from django.conf import settings
from rest_framework.decorators import api_view
from rest_framework.response import Response


def parse_stripe_event(request):
    return stripe.Webhook.construct_event(
        request.data, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET  # expect: webhook/body-not-raw
    )


@api_view(["POST"])
def stripe_hook(request):
    try:
        event = parse_stripe_event(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return Response(status=400)
    return Response({"type": event.type})
