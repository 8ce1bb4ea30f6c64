import json

from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from .decorators import log_calls, stripe_signature_required


def fulfil(event):
    if event["type"] == "checkout.session.completed":
        print("ship", event["data"]["object"]["id"])


@csrf_exempt
def stripe_webhook(request):  # expect: clean
    # StripeSignatureMiddleware verifies this path before the view runs.
    fulfil(json.loads(request.body))
    return HttpResponse(status=200)


@csrf_exempt
def stripe_connect_webhook(request):  # expect: clean
    fulfil(json.loads(request.body))
    return HttpResponse(status=200)


@csrf_exempt
def stripe_legacy_webhook(request):
    # Neither middleware covers this path.
    fulfil(json.loads(request.body))  # expect: webhook/unverified-payload
    return HttpResponse(status=200)


@csrf_exempt
@stripe_signature_required
def decorated_webhook(request):  # expect: clean
    fulfil(request.stripe_event)
    return HttpResponse(status=200)


@csrf_exempt
@log_calls
def logged_webhook(request):
    fulfil(json.loads(request.body))  # expect: webhook/unverified-payload
    return HttpResponse(status=200)


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(stripe_signature_required, name="dispatch")
class SignedWebhookView(View):
    def post(self, request):  # expect: clean
        fulfil(json.loads(request.body))
        return HttpResponse(status=200)


@method_decorator(csrf_exempt, name="dispatch")
class UnsignedWebhookView(View):
    @method_decorator(log_calls)
    def post(self, request):
        fulfil(json.loads(request.body))  # expect: webhook/unverified-payload
        return HttpResponse(status=200)


@method_decorator(csrf_exempt, name="dispatch")
class MethodSignedWebhookView(View):
    @method_decorator(stripe_signature_required)
    def post(self, request):  # expect: clean
        fulfil(json.loads(request.body))
        return HttpResponse(status=200)
