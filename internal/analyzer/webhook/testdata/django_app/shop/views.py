import json

import stripe
from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .services import StripeWebhookService, process_event


@csrf_exempt
@require_POST
def stripe_webhook(request):  # expect: clean
    payload = request.body
    sig_header = request.META.get("HTTP_STRIPE_SIGNATURE")
    try:
        event = stripe.Webhook.construct_event(payload, sig_header, settings.STRIPE_WEBHOOK_SECRET)
    except ValueError:
        return HttpResponse(status=400)
    except stripe.error.SignatureVerificationError:
        return HttpResponse(status=400)
    process_event(event)
    return HttpResponse(status=200)


@csrf_exempt
def stripe_webhook_meta(request):
    sig_header = request.META["HTTP_STRIPE_SIGNATURE"]  # expect: webhook/signature-header-no-default
    try:
        event = stripe.Webhook.construct_event(request.body, sig_header, settings.STRIPE_WEBHOOK_SECRET)
    except stripe.error.SignatureVerificationError:  # expect: webhook/verification-error-unhandled
        return HttpResponseBadRequest()
    process_event(event)
    return HttpResponse(status=200)


@csrf_exempt
def payments_hook(request):
    event = json.loads(request.body)  # expect: webhook/unverified-payload
    process_event(event)
    return JsonResponse({"status": "ok"})


@csrf_exempt
def stripe_webhook_getattr(request):
    secret = getattr(settings, "STRIPE_ENDPOINT_SECRET", "")  # expect: webhook/empty-secret
    try:
        event = stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    process_event(event)
    return HttpResponse(status=200)


@csrf_exempt
def stripe_webhook_debug(request):
    if settings.DEBUG:  # expect: webhook/optional-verification
        event = json.loads(request.body)
    else:
        try:
            event = stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
    process_event(event)
    return HttpResponse(status=200)


@csrf_exempt
def stripe_webhook_service(request):  # expect: clean
    service = StripeWebhookService(settings.STRIPE_WEBHOOK_SECRET)
    try:
        event = service.parse(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    process_event(event)
    return HttpResponse(status=200)


@method_decorator(csrf_exempt, name="dispatch")
class StripeWebhookView(View):
    def post(self, request):
        event = stripe.Event.construct_from(json.loads(request.body), stripe.api_key)  # expect: webhook/unverified-payload
        process_event(event)
        return HttpResponse(status=200)


@method_decorator(csrf_exempt, name="dispatch")
class VerifiedWebhookView(View):
    def post(self, request, *args, **kwargs):  # expect: clean
        try:
            event = stripe.Webhook.construct_event(
                request.body, request.headers.get("Stripe-Signature"), settings.STRIPE_WEBHOOK_SECRET
            )
        except (ValueError, stripe.error.SignatureVerificationError):
            return HttpResponse(status=400)
        process_event(event)
        return HttpResponse(status=200)


class SwallowingWebhookView(View):
    def post(self, request):
        try:
            event = stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), settings.STRIPE_WEBHOOK_SECRET)
        except (ValueError, stripe.SignatureVerificationError) as exc:  # expect: webhook/swallowed-verification-error
            print("ignoring", exc)
            event = None
        process_event(event or json.loads(request.body))
        return HttpResponse(status=200)
