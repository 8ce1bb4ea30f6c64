import stripe
from django.conf import settings
from django.http import HttpResponse


class StripeProvider:
    def handle_webhook(self, request):
        try:
            event = stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
        if event["type"] == "invoice.paid":
            print("paid", event["data"]["object"]["id"])
        return HttpResponse(status=200)
