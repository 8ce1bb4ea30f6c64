import json

import stripe
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .models import WebhookDelivery, WebhookEndpoint
from .objects import (
    ConfiguredRequest,
    Copied,
    DebugSecretRequest,
    Envelope,
    StripeValidator,
    StripeWebhookRequest,
    StrictValidator,
    check_signature,
    check_signature_skippable,
)
from .verify import parse, parse_connect, parse_connect_strict, parse_connect_wrapped, parse_endpoint, parse_strict

BAD = (ValueError, stripe.error.SignatureVerificationError)


def fulfil(event):
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])


@csrf_exempt
def hook_parse(request):
    try:
        event = parse(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_endpoint(request):
    try:
        event = parse_endpoint(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_strict(request):  # expect: clean
    try:
        event = parse_strict(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_connect(request):
    try:
        event = parse_connect(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_connect_wrapped(request):
    try:
        event = parse_connect_wrapped(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_connect_strict(request):  # expect: clean
    try:
        event = parse_connect_strict(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_object(request):
    try:
        event = StripeWebhookRequest(request).validate()
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_debug_object(request):
    try:
        event = DebugSecretRequest(request).validate()
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_envelope(request):
    envelope = Envelope.from_request(request)
    try:
        event = envelope.open()
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_copied(request):
    copied = Copied.from_request(request)
    try:
        event = copied.open()
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_configured(request):  # expect: clean
    try:
        event = ConfiguredRequest(request).validate()
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_stored(request):
    delivery = WebhookDelivery.objects.create(headers=dict(request.headers), payload=request.body.decode())
    try:
        event = delivery.verify()
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_endpoint_model(request, pk):  # expect: clean
    endpoint = WebhookEndpoint.objects.get(pk=pk)
    try:
        event = endpoint.verify(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"))
    except BAD:
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse()


@csrf_exempt
def hook_validator(request):
    if not StripeValidator().validate(request):
        return HttpResponse(status=400)
    fulfil(json.loads(request.body))
    return HttpResponse()


@csrf_exempt
def hook_strict_validator(request):  # expect: clean
    if not StrictValidator().validate(request):
        return HttpResponse(status=400)
    fulfil(json.loads(request.body))
    return HttpResponse()


@csrf_exempt
def hook_check(request):
    try:
        check_signature(request)
    except BAD:
        return HttpResponse(status=400)
    fulfil(json.loads(request.body))
    return HttpResponse()


@csrf_exempt
def hook_skippable(request):
    if not check_signature_skippable(request):
        return HttpResponse(status=400)
    fulfil(json.loads(request.body))
    return HttpResponse()
