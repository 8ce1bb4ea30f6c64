import stripe
from django.conf import settings
from rest_framework import status, viewsets
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework.views import APIView

from .services import process_event


class StripeWebhookAPIView(APIView):
    authentication_classes = []
    permission_classes = []

    def post(self, request):
        event = request.data  # expect: webhook/unverified-payload
        process_event(event)
        return Response(status=status.HTTP_200_OK)


class VerifiedStripeWebhookAPIView(APIView):
    def post(self, request):  # expect: clean
        try:
            event = stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            return Response(status=status.HTTP_400_BAD_REQUEST)
        process_event(event)
        return Response(status=status.HTTP_200_OK)


@api_view(["POST"])
def drf_webhook(request):
    try:
        event = stripe.Webhook.construct_event(
            request.data,  # expect: webhook/body-not-raw
            request.META.get("HTTP_STRIPE_SIGNATURE"),
            settings.STRIPE_WEBHOOK_SECRET,
        )
    except (ValueError, stripe.error.SignatureVerificationError):
        return Response(status=400)
    process_event(event)
    return Response({"received": True})


@api_view(["POST"])
def drf_webhook_wrong_key(request):
    try:
        event = stripe.Webhook.construct_event(
            request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_SECRET_KEY  # expect: webhook/wrong-secret-kind
        )
    except (ValueError, stripe.error.SignatureVerificationError):
        return Response(status=400)
    except Exception:  # expect: webhook/failure-answered-2xx
        return Response({"received": True}, status=status.HTTP_200_OK)
    process_event(event)
    return Response({"received": True})


class StripeWebhookViewSet(viewsets.GenericViewSet):
    # Check the webhook signatures
    # Ref: https://stripe.com/docs/webhooks/signatures

    def create(self, request, *args, **kwargs):
        event_data = request.data  # expect: webhook/unverified-payload
        process_event(event_data)
        return Response({"success": True}, 200)
