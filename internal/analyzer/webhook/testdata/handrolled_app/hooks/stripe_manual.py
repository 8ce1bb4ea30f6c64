# Twins: Stripe signatures checked by hand. Each still reports.
import hashlib
import hmac
import json
import os
import re

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from flask import Flask, abort, request

app = Flask(__name__)
KEY = os.environ["PAYMENTS_HOOK_KEY"]
HEADER_RE = re.compile(r"t=(\d+),v1=([0-9a-f]{64})")


def check(body: bytes, header: str, key: str) -> bool:
    # No Stripe word here: the scheme shows in the caller's arguments.
    parts = dict(item.split("=", 1) for item in header.split(","))
    mac = hmac.new(key.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return mac == parts.get("sig")  # expect: webhook/hand-rolled-verification


@app.route("/payments/hook", methods=["POST"])
def payments_hook():
    if not check(request.get_data(), request.headers.get("Stripe-Signature", ""), KEY):
        abort(400)
    return json.loads(request.get_data())["id"]


def regex_check(body: bytes, header: str) -> bool:
    found = HEADER_RE.match(header)
    if not found:
        return False
    signed = found.group(1).encode() + b"." + body
    expected = hmac.new(KEY.encode(), signed, hashlib.sha256).hexdigest()  # expect: webhook/hand-rolled-verification
    return hmac.compare_digest(expected, found.group(2))


@app.route("/payments/hook2", methods=["POST"])
def payments_hook_regex():
    if not regex_check(request.get_data(), request.headers.get("X-Sig", "")):
        abort(400)
    return json.loads(request.get_data())["id"]


@csrf_exempt
def django_manual(request):
    header = request.META.get("HTTP_STRIPE_SIGNATURE", "")
    items = dict(p.split("=", 1) for p in header.split(","))
    digest = hmac.new(settings.STRIPE_WEBHOOK_SECRET.encode(), items["t"].encode() + b"." + request.body, hashlib.sha256)
    if digest.hexdigest() != items["v1"]:  # expect: webhook/hand-rolled-verification
        return HttpResponseBadRequest()
    event = json.loads(request.body)
    return HttpResponse(event["id"])
