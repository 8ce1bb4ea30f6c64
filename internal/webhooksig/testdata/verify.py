#!/usr/bin/python3
"""Verify Stripe webhook payloads with stripe.Webhook.construct_event.

Batch mode: one JSON object per stdin line
  {"secret": "whsec_...", "header": "t=...,v1=...", "payload_b64": "...", "tolerance": 300}
("tolerance" may be omitted for the default 300 or null for None), one JSON
object per stdout line:
  {"ok": true, "id": "evt_...", "stripe_version": "5.0.0"}
  {"ok": false, "error_class": "SignatureVerificationError", "message": "..."}
Every exception is caught and reported (TypeError on non-ASCII v1 included),
so one process can verify hundreds of cases.
"""
import base64
import json
import sys

import stripe
from stripe.version import VERSION


def verify(req):
    payload = base64.b64decode(req["payload_b64"])
    kwargs = {}
    if "tolerance" in req:
        kwargs["tolerance"] = req["tolerance"]
    try:
        ev = stripe.Webhook.construct_event(payload, req["header"], req["secret"], **kwargs)
        return {"ok": True, "id": ev.get("id"), "stripe_version": VERSION}
    except Exception as e:  # noqa: BLE001 - every failure is a rejection
        return {"ok": False, "error_class": type(e).__name__, "message": str(e), "stripe_version": VERSION}


for line in sys.stdin:
    if line.strip():
        print(json.dumps(verify(json.loads(line))), flush=True)
