# Handlers that do not verify the signature but re-fetch the event from the
# API by its id: nothing in the payload is trusted beyond the id and what
# selects how to fetch it.
import json
import logging

import stripe
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payments.utils import handle_event, load_event, log_event, retrieve_event, fulfil

logger = logging.getLogger(__name__)


@require_POST
@csrf_exempt
def helper_refetch(request):
    event_json = json.loads(request.body)  # expect: webhook/refetch-unverified
    event_id = event_json.get("id", None)
    live_mode = event_json.get("livemode", False)
    event = retrieve_event(event_id, live_mode=live_mode)
    if event:
        if live_mode:
            log_event(event_json, request=request)
        handle_event(event, request=request)
    elif event_id and not live_mode:
        log_event(event_json, request=request)
    return HttpResponse(status=200)


@csrf_exempt
def connect_refetch(request):
    payload = json.loads(request.body)  # expect: webhook/refetch-unverified
    logger.info("received %s", payload)
    event = stripe.Event.retrieve(payload["id"], stripe_account=payload.get("account"))
    handle_event(event)
    return HttpResponse(status=200)


# Twins: the helper does not fetch from Stripe, the payload's data is
# acted on beside the re-fetch, the payload goes to something that is
# not logging.
@csrf_exempt
def local_lookup(request):
    event_json = json.loads(request.body)  # expect: webhook/unverified-payload
    event = load_event(event_json["id"])
    handle_event(event)
    return HttpResponse(status=200)


@csrf_exempt
def refetch_and_trust(request):
    event_json = json.loads(request.body)  # expect: webhook/unverified-payload
    event = retrieve_event(event_json["id"])
    log_event(event_json)
    fulfil(event_json["data"]["object"])
    return HttpResponse(status=200)


@csrf_exempt
def refetch_and_store(request):
    event_json = json.loads(request.body)  # expect: webhook/unverified-payload
    event = retrieve_event(event_json["id"])
    handle_event(event_json)
    return HttpResponse(status=200)
