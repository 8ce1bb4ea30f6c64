"""Unsigned fallbacks, some reachable only in development or tests."""
import json
import os

import stripe
from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .events import fulfil


def construct(request):
    return stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)


@csrf_exempt
def testing_fallback(request):
    if settings.TESTING:  # expect: webhook/dev-only-unverified
        event = json.loads(request.body)
    else:
        try:
            event = construct(request)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def not_production_first(request):
    if not settings.PRODUCTION:  # expect: webhook/dev-only-unverified
        fulfil(json.loads(request.body))
        return HttpResponse(status=200)
    try:
        event = construct(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def asserted_fallback(request):
    sig = request.META.get("HTTP_STRIPE_SIGNATURE")
    if not sig:  # expect: webhook/dev-only-unverified
        assert not settings.PRODUCTION, "unsigned webhooks are for local development"
        event = json.loads(request.body)
    else:
        try:
            event = construct(request)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def derived_debug(request):
    # DEBUG is ENVIRONMENT == "development" in these settings.
    if settings.DEBUG:  # expect: webhook/dev-only-unverified
        event = json.loads(request.body)
    else:
        try:
            event = construct(request)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def environment_name(request):
    if os.environ.get("ENVIRONMENT") != "development":  # expect: webhook/dev-only-unverified
        try:
            event = construct(request)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
    else:
        event = json.loads(request.body)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def allow_unsigned_setting(request):
    if settings.ALLOW_UNSIGNED_WEBHOOKS:  # expect: webhook/optional-verification
        event = json.loads(request.body)
    else:
        try:
            event = construct(request)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def query_flag(request):
    if request.GET.get("test") == "1":  # expect: webhook/optional-verification
        event = json.loads(request.body)
    else:
        try:
            event = construct(request)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def production_asserted_wrongly(request):
    """The assert claims production, so it does not make the path dev-only."""
    sig = request.META.get("HTTP_STRIPE_SIGNATURE")
    if not sig:  # expect: webhook/optional-verification
        assert settings.PRODUCTION
        event = json.loads(request.body)
    else:
        try:
            event = construct(request)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def always_verified(request):  # expect: clean
    try:
        event = construct(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse(status=200)
