# A code-hosting integration: GitHub signs its deliveries with
# X-Hub-Signature-256 (HMAC-SHA256 of the body, no timestamp). The module
# also mentions Stripe (a billing check), but the hand-made check below is
# GitHub's scheme, not a Stripe verification.
import hashlib
import hmac
import json
import os

from django.http import HttpResponse, HttpResponseForbidden
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from accounts.billing import has_stripe_subscription

GITHUB_SECRET = os.environ["GITHUB_WEBHOOK_SECRET"].encode()


def signature_matches(request) -> bool:  # expect: clean
    expected = request.META.get("HTTP_X_HUB_SIGNATURE_256")
    computed = "sha256=" + hmac.new(GITHUB_SECRET, request.body, digestmod=hashlib.sha256).hexdigest()
    if expected is None or len(expected) != len(computed):
        return False
    return constant_time_compare(computed, expected)


def legacy_signature_matches(request) -> bool:  # expect: clean
    header = request.META.get("HTTP_X_HUB_SIGNATURE", "")
    digest = hmac.new(GITHUB_SECRET, request.body, hashlib.sha1).hexdigest()
    return hmac.compare_digest("sha1=" + digest, header)


@csrf_exempt
def github_hook(request):  # expect: clean
    if not signature_matches(request) and not legacy_signature_matches(request):
        return HttpResponseForbidden()
    body = json.loads(request.body)
    if body.get("action") == "purchased" and has_stripe_subscription(body["sender"]["login"]):
        return HttpResponse("already billed through Stripe")
    return HttpResponse(status=204)
