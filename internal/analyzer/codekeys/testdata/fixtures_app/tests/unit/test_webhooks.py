import json
import time

import stripe

from billing.handlers import handle_event

SECRET = "whsec_FAKEFAKEFAKE00000000000106"  # expect: codekeys/hardcoded-webhook-secret  # severity: low


def _header(payload, secret, ts):
    sig = stripe.WebhookSignature._compute_signature("%d.%s" % (ts, payload), secret)
    return "t=%d,v1=%s" % (ts, sig)


def test_valid_signature():
    payload = json.dumps({"id": "evt_1", "type": "invoice.paid"})
    header = _header(payload, SECRET, int(time.time()))
    event = stripe.Webhook.construct_event(payload, header, SECRET)
    assert handle_event(event)


def test_wrong_secret_is_rejected():
    payload = json.dumps({"id": "evt_2"})
    # A throwaway value: a placeholder, not a finding.
    header = _header(
        payload, "whsec_WRONGSECRETWRONGSECRETWRONG000000", int(time.time())
    )
    try:
        stripe.Webhook.construct_event(payload, header, SECRET)
    except stripe.error.SignatureVerificationError:
        pass


def test_second_endpoint():
    endpoint = {"url": "https://example.com/hook"}
    endpoint["secret"] = "whsec_FAKEFAKEFAKE00000000000107"  # expect: codekeys/hardcoded-webhook-secret  # severity: low
    header = _header(
        "{}",
        "whsec_FAKEFAKEFAKE00000000000108",  # expect: codekeys/hardcoded-webhook-secret  # severity: low
        int(time.time()),
    )
    assert header
