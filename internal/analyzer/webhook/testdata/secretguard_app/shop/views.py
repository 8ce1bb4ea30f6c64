import stripe
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt

endpoint_secret = "whsec_123"  # expect: webhook/empty-secret


def _verify(request, secret):
    try:
        return stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return None


@csrf_exempt
def main_hook(request):
    event = _verify(request, settings.STRIPE_WEBHOOK_SECRET)
    if event is None:
        return HttpResponseBadRequest()
    return HttpResponse(event.id)


@csrf_exempt
def connect_hook(request):
    event = _verify(request, settings.STRIPE_CONNECT_SECRET)
    if event is None:
        return HttpResponseBadRequest()
    return HttpResponse(event.id)


@csrf_exempt
def billing_hook(request):
    event = _verify(request, settings.STRIPE_BILLING_SECRET)
    if event is None:
        return HttpResponseBadRequest()
    return HttpResponse(event.id)


@csrf_exempt
def sample_hook(request):
    try:
        event = stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), endpoint_secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponseBadRequest()
    return HttpResponse(event.id)
