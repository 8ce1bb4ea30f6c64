import json

import stripe
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt

from providers import handle_adyen, handle_stripe_event, verify_adyen


@csrf_exempt
def payment_notification(request):  # expect: clean
    source = request.GET.get("source", "")
    if source == "adyen":
        body = request.body
        if not verify_adyen(request.headers, body):
            return HttpResponseBadRequest()
        handle_adyen(json.loads(body))
        return HttpResponse(status=200)
    if "stripe" == source:
        try:
            event = stripe.Webhook.construct_event(
                request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET
            )
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponseBadRequest()
        handle_stripe_event(event)
        return HttpResponse(status=200)
    return HttpResponseBadRequest()


@csrf_exempt
def payment_notification_test_source(request):
    # Twin: a "stripe-test" source is processed before, and without, the
    # Stripe verification.
    source = request.GET.get("source", "")
    if source == "stripe-test":  # expect: webhook/optional-verification
        handle_stripe_event(json.loads(request.body))
        return HttpResponse(status=200)
    if source == "stripe":  # expect: webhook/optional-verification
        try:
            event = stripe.Webhook.construct_event(
                request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET
            )
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponseBadRequest()
        handle_stripe_event(event)
        return HttpResponse(status=200)
    return HttpResponseBadRequest()
