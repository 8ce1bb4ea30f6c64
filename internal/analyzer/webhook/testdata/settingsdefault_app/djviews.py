import stripe
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt


def handle(event):
    print(event["type"], event["data"]["object"]["id"])


@csrf_exempt
def stripe_webhook(request):
    try:
        event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature", ""), settings.STRIPE_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    handle(event)
    return HttpResponse(status=200)


@csrf_exempt
def connect_webhook(request):
    try:
        event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature", ""), settings.CONNECT_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    handle(event)
    return HttpResponse(status=200)


@csrf_exempt
def billing_webhook(request):  # expect: clean
    # No default: an unset variable gives None and construct_event raises.
    try:
        event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature", ""), settings.BILLING_WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    handle(event)
    return HttpResponse(status=200)


@csrf_exempt
def refused_webhook(request):  # expect: clean
    secret = settings.REFUSED_WEBHOOK_SECRET
    if not secret:
        return HttpResponse(status=503)
    try:
        event = stripe.Webhook.construct_event(request.body, request.headers.get("Stripe-Signature", ""), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    handle(event)
    return HttpResponse(status=200)
