"""A billing module serving several payment providers verifies through the
provider object chosen by the URL (srivatsan0611/django-saas-launchpad):
`if not gateway.verify_webhook_signature(payload, signature): return 400`
and only then parses the body. That body is not trusted unverified."""
import json

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .gateways import get_gateway

SIGNATURE_HEADERS = {"stripe": "Stripe-Signature", "paddle": "Paddle-Signature"}


def record(kind, data):
    print(kind, data)


@csrf_exempt
@require_POST
def provider_webhook(request, provider):  # expect: clean
    payload = request.body
    signature = request.headers.get(SIGNATURE_HEADERS.get(provider, "X-Signature"), "")
    gateway = get_gateway(provider)
    if not gateway.verify_webhook_signature(payload, signature):
        return HttpResponse(status=400)
    event = json.loads(payload.decode("utf-8"))
    if event["type"] == "invoice.paid":
        record("paid", event["data"]["object"])
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def provider_webhook_result(request, provider):  # expect: clean
    gateway = get_gateway(provider)
    ok = gateway.is_valid_signature(request.body, request.headers.get("Stripe-Signature", ""))
    if not ok:
        raise PermissionError("bad signature")
    event = json.loads(request.body)
    if event["type"] == "customer.subscription.deleted":
        record("cancelled", event["data"]["object"])
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def provider_webhook_logged(request, provider):
    # The twin: the check's result is only logged, the payload is used
    # whatever it says.
    gateway = get_gateway(provider)
    if not gateway.verify_webhook_signature(request.body, request.headers.get("Stripe-Signature", "")):
        print("signature mismatch")
    event = json.loads(request.body)  # expect: webhook/unverified-payload
    if event["type"] == "invoice.paid":
        record("paid", event["data"]["object"])
    return HttpResponse(status=200)


@csrf_exempt
@require_POST
def provider_webhook_after(request, provider):
    # The twin: the body is acted on before the gate.
    event = json.loads(request.body)  # expect: webhook/unverified-payload
    record(event["type"], event["data"]["object"])
    gateway = get_gateway(provider)
    if not gateway.verify_webhook_signature(request.body, request.headers.get("Stripe-Signature", "")):
        return HttpResponse(status=400)
    return HttpResponse(status=200)
