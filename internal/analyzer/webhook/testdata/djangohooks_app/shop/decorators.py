import functools

import stripe
from django.conf import settings
from django.http import HttpResponse


def stripe_signature_required(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            request.stripe_event = stripe.Webhook.construct_event(
                request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET
            )
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
        return view(request, *args, **kwargs)

    return wrapped


def log_calls(view):
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        print("calling", view.__name__)
        return view(request, *args, **kwargs)

    return wrapped
