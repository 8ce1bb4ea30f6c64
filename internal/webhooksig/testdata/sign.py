#!/usr/bin/python3
"""Sign Stripe webhook payloads with stripe-python's own code.

Batch mode: one JSON object per stdin line
  {"secrets": ["whsec_..."], "timestamp": 1700000000, "payload_b64": "...", "scheme": "v1"}
one JSON object per stdout line:
  {"header": "t=...,v1=...", "signatures": [...], "stripe_version": "5.0.0"}
The payload is decoded as UTF-8 exactly like Webhook.construct_event does.
"""
import base64
import json
import sys
import time

import stripe
from stripe.version import VERSION


def sign(req):
    payload = base64.b64decode(req["payload_b64"]).decode("utf-8")
    t = int(req.get("timestamp") or time.time())
    scheme = req.get("scheme", "v1")
    sigs = [stripe.WebhookSignature._compute_signature("%d.%s" % (t, payload), s)
            for s in req["secrets"]]
    header = "t=%d," % t + ",".join("%s=%s" % (scheme, s) for s in sigs)
    return {"header": header, "timestamp": t, "signatures": sigs, "stripe_version": VERSION}


for line in sys.stdin:
    if line.strip():
        print(json.dumps(sign(json.loads(line))), flush=True)
