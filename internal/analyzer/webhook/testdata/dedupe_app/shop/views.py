import os

import stripe
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from .fulfilment import already_processed, fulfil
from .models import ProcessedEvent, StripeEvent

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
PROCESSED = set()


def verified(request):
    return stripe.Webhook.construct_event(request.body, request.META.get("HTTP_STRIPE_SIGNATURE"), SECRET)


@csrf_exempt
def get_or_create_first(request):
    try:
        event = verified(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    _, created = ProcessedEvent.objects.get_or_create(event_id=event["id"])  # observe: webhook.idempotent-processing
    if not created:
        return HttpResponse(status=200)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def exists_check(request):
    try:
        event = verified(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    if StripeEvent.objects.filter(stripe_id=event.id).exists():  # observe: webhook.idempotent-processing
        return HttpResponse(status=200)
    fulfil(event)
    StripeEvent.objects.create(stripe_id=event.id)
    return HttpResponse(status=200)


@csrf_exempt
def membership(request):
    try:
        event = verified(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    if event.id in PROCESSED:  # observe: webhook.idempotent-processing
        return HttpResponse(status=200)
    PROCESSED.add(event.id)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def helper_check(request):
    try:
        event = verified(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    if already_processed(event):
        return HttpResponse(status=200)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def sql_insert(request):
    try:
        event = verified(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO processed_events (id) VALUES (%s) ON CONFLICT DO NOTHING", [event["id"]])  # observe: webhook.idempotent-processing
        if cursor.rowcount == 0:
            return HttpResponse(status=200)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def record_after(request):  # missing: webhook.idempotent-processing
    try:
        event = verified(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    fulfil(event)
    ProcessedEvent.objects.create(event_id=event.id)
    return HttpResponse(status=200)


@csrf_exempt
def no_record(request):  # missing: webhook.idempotent-processing
    try:
        event = verified(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    fulfil(event)
    return HttpResponse(status=200)


@csrf_exempt
def only_logs(request):
    try:
        event = verified(request)
    except (ValueError, stripe.error.SignatureVerificationError):
        return HttpResponse(status=400)
    print("received", event["type"])
    return HttpResponse(status=200)
