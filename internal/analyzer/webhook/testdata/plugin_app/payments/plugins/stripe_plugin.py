import stripe
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest


class StripeGatewayPlugin:
    PLUGIN_ID = "stripe"

    def webhook(self, request, path):
        try:
            event = stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponseBadRequest()
        if event["type"] == "payment_intent.succeeded":
            print("paid", event["data"]["object"]["id"])
        return HttpResponse(status=200)
