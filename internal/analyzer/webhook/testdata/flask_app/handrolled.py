import hashlib
import hmac
import json
import os
import time

from flask import Flask, abort, request

app = Flask(__name__)
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def verify_manually(payload: bytes, header: str) -> bool:
    items = dict(part.split("=", 1) for part in header.split(","))
    signed = items["t"].encode() + b"." + payload
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    return expected == items["v1"]  # expect: webhook/hand-rolled-verification


def verify_no_timestamp(payload: bytes, header: str) -> bool:
    items = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(SECRET.encode(), items["t"].encode() + b"." + payload, hashlib.sha256).hexdigest()  # expect: webhook/hand-rolled-verification
    return hmac.compare_digest(expected, items["v1"])


def verify_properly(payload: bytes, header: str) -> bool:
    items = dict(part.split("=", 1) for part in header.split(","))
    if abs(time.time() - int(items["t"])) > 300:
        return False
    expected = hmac.new(SECRET.encode(), items["t"].encode() + b"." + payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, items["v1"])


@app.route("/stripe/manual", methods=["POST"])
def manual_webhook():
    if not verify_manually(request.data, request.headers.get("Stripe-Signature", "")):
        abort(400)
    event = json.loads(request.data)
    return event["id"]


@app.route("/stripe/manual-proper", methods=["POST"])
def manual_webhook_proper():  # expect: clean
    if not verify_properly(request.data, request.headers.get("Stripe-Signature", "")):
        abort(400)
    event = json.loads(request.data)
    return event["id"]


def _sign(payload: bytes, timestamp: str) -> str:
    return hmac.new(SECRET.encode(), timestamp.encode() + b"." + payload, hashlib.sha256).hexdigest()


def verify_with_signer(payload: bytes, header: str) -> bool:
    items = dict(part.split("=", 1) for part in header.split(","))
    return _sign(payload, items["t"]) == items["v1"]  # expect: webhook/hand-rolled-verification


def verify_with_signer_properly(payload: bytes, header: str) -> bool:
    items = dict(part.split("=", 1) for part in header.split(","))
    if time.time() - int(items["t"]) > 300:
        return False
    return hmac.compare_digest(_sign(payload, items["t"]), items["v1"])


@app.route("/stripe/signer", methods=["POST"])
def signer_webhook():  # expect: clean
    if not verify_with_signer_properly(request.data, request.headers.get("Stripe-Signature", "")):
        abort(400)
    return json.loads(request.data)["id"]
